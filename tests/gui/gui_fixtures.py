"""Inputs shared by the GUI tests."""

from __future__ import annotations

from pathlib import Path

import cv2


def people(folder: Path) -> Path:
    """The demo's two public-domain portraits at 256 px (quicker to extract; dlib still finds
    both faces), as a folder of images."""
    from faceswap.tools.demo import demo_images

    folder.mkdir(parents=True, exist_ok=True)
    for path in demo_images(folder.parent / "demo_inputs"):
        image = cv2.imread(str(path))
        scale = 256 / max(image.shape[:2])
        cv2.imwrite(str(folder / path.name), cv2.resize(image, None, fx=scale, fy=scale))
    return folder
