"""Real faces for the upstream import tests: one still extracted once per session."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from fstest import SHARED

STILL = SHARED / "face-data" / "stills" / "faceRecognition_two_people.jpg"


@dataclass
class RealFaces:
    frame: np.ndarray
    landmarks: list[np.ndarray]  # (68, 2) frame pixels, per face
    boxes: list[tuple[int, int, int, int]]


@pytest.fixture(scope="session")
def real_faces(tmp_path_factory) -> RealFaces:
    if not STILL.is_file():
        pytest.skip("../shared/face-data is absent")
    from faceswap.lib import alignments
    from faceswap.lib.image import read_image
    from faceswap.stages.extract import ExtractOptions, extract

    folder = tmp_path_factory.mktemp("still")
    extract(ExtractOptions(STILL, folder / "faces", alignments=folder / "a.json", jobs=1,
                           masks=()))
    faces = alignments.load(folder / "a.json").frames[STILL.name].faces
    assert len(faces) == 2
    return RealFaces(frame=read_image(STILL), landmarks=[f.landmarks.astype(np.float64)
                                                         for f in faces],
                     boxes=[f.box for f in faces])
