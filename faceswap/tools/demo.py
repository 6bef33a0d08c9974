"""`faceswap demo`: the whole extract → train → convert pipeline on two bundled portraits.

Person A is scikit-image's ``astronaut()`` (NASA, public domain) and person B matplotlib's
``grace_hopper.jpg`` (US Navy, public domain): both ship inside their PyPI packages, so the
demo needs nothing beyond ``pip``. One photo per person is enough for a visible swap because
the trainer's augmentation (warps, rotations, zoom, flips, colour) turns each photo into an
endless stream of different training samples. A second run into the same folder resumes
training instead of starting over.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image, read_image

logger = logging.getLogger(__name__)

#: A width-reduced Original (about 5M parameters instead of 82M) so the demo trains in minutes.
DEMO_MODEL = {"input_size": 64, "base_filters": 32, "learning_rate": 2e-4}
DEFAULT_ITERATIONS = 2000
BATCH_SIZE = 8


@dataclass
class DemoOptions:
    """What `faceswap demo` takes (the CLI flag in brackets)."""

    output_dir: Path = Path("faceswap_demo")  # -o: where everything goes (a rerun resumes)
    iterations: int = DEFAULT_ITERATIONS  # --iterations: training iterations this run


@dataclass
class DemoResult:
    output_dir: Path
    stage_seconds: dict[str, float] = field(default_factory=dict)
    iterations: int = 0
    loss_a: float | None = None
    loss_b: float | None = None
    files: dict[str, Path] = field(default_factory=dict)


def demo_images(folder: Path) -> tuple[Path, Path]:
    """Write the two bundled portraits into ``folder`` as PNGs; return their paths."""
    try:
        import matplotlib.cbook
        from skimage import data
    except ImportError as err:
        raise FaceswapError(
            f"The demo needs scikit-image and matplotlib ({err.name} is missing): "
            "pip install scikit-image matplotlib"
        ) from err
    folder.mkdir(parents=True, exist_ok=True)
    person_a, person_b = folder / "astronaut.png", folder / "grace_hopper.png"
    if not person_a.exists():
        astronaut = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)
        atomic.write_bytes(person_a, encode_image(astronaut, ".png"))
    if not person_b.exists():
        hopper = read_image(matplotlib.cbook.get_sample_data("grace_hopper.jpg",
                                                             asfileobj=False))
        atomic.write_bytes(person_b, encode_image(hopper, ".png"))
    return person_a, person_b


def before_after(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Side-by-side image with captions."""
    height = max(before.shape[0], after.shape[0])
    canvas = np.full((height + 36, before.shape[1] + after.shape[1] + 12, 3), 255, np.uint8)
    canvas[36:36 + before.shape[0], :before.shape[1]] = before
    canvas[36:36 + after.shape[0], before.shape[1] + 12:] = after
    for text, x in (("before", 8), ("after (synthetic face)", before.shape[1] + 20)):
        cv2.putText(canvas, text, (x, 26), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2,
                    cv2.LINE_AA)
    return canvas


def demo(options: DemoOptions, progress: Callable | None = None,
         stage: Callable[[str], None] | None = None) -> DemoResult:
    """Run the demo into ``options.output_dir`` and return where everything went.

    ``progress`` gets the training's reports (faceswap.train's); ``stage`` a line as each of
    the three stages starts (default: logged).
    """
    output_dir, iterations = options.output_dir, options.iterations
    from faceswap.lib.provenance import tag_png
    from faceswap.stages.convert.pipeline import ConvertOptions, convert
    from faceswap.stages.extract import ExtractOptions, extract
    from faceswap.stages.train.trainer import TrainOptions, train

    out = Path(output_dir)
    atomic.check_writable(out)
    summary = DemoResult(output_dir=out)
    say = stage or (lambda text: logger.info("%s", text))

    say("1/3 extract: finding and aligning both faces")
    tick = time.perf_counter()
    person_a, person_b = demo_images(out / "inputs")
    for side, photo in (("a", person_a), ("b", person_b)):
        faces = out / "faces" / side
        result = extract(ExtractOptions(
            photo, faces, alignments=out / f"{photo.stem}_alignments.json", skip_existing=True))
        if not list(faces.glob("*.png")):
            raise FaceswapError(f"No face was found in '{photo}' ({result}).")
    summary.stage_seconds["extract"] = time.perf_counter() - tick

    say(f"2/3 train: {iterations} iterations of a small Original model (one photo per person: "
        "the warnings about too few faces are expected; augmentation makes up for it here)")
    tick = time.perf_counter()
    model_dir = out / "model"
    result = train(
        TrainOptions(
            input_a=out / "faces" / "a", input_b=out / "faces" / "b", model_dir=model_dir,
            batch_size=BATCH_SIZE, iterations=iterations, save_interval=max(50, iterations // 4),
            snapshot_interval=0, write_preview=True, preview_dir=out, seed=0,
            config=dict(DEMO_MODEL),
        ),
        report=progress,
    )
    summary.iterations, summary.loss_a, summary.loss_b = (
        result.iterations, result.loss_a, result.loss_b)
    summary.stage_seconds["train"] = time.perf_counter() - tick

    say("3/3 convert: putting Grace Hopper's face on the astronaut")
    tick = time.perf_counter()
    converted = out / "converted"
    convert(ConvertOptions(input=person_a, output=converted, model_dir=model_dir,
                           alignments=out / f"{person_a.stem}_alignments.json", writer="images"))
    swap = out / "swap.png"
    atomic.copy_file(converted / "astronaut.png", swap)
    pair = before_after(read_image(person_a), read_image(swap))
    info = {"model": "original", "iterations": summary.iterations}
    atomic.write_bytes(out / "before_after.png", tag_png(encode_image(pair, ".png"), info))
    summary.stage_seconds["convert"] = time.perf_counter() - tick
    summary.files = {
        "aligned faces": out / "faces", "model": model_dir,
        "preview": out / "training_preview.png", "swap": swap,
        "before/after": out / "before_after.png",
    }
    return summary
