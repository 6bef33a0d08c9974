"""Frames/s of `faceswap extract` on a shared clip against the bare detect+landmarks loop.

    python bench/extract_speed.py [--clip PATH] [--detector dlib-hog] [--jobs N]
    python bench/extract_speed.py --calibrate --detector opencv-dnn   # box mapping to dlib's

Both runs see the same frames, with the models already loaded: the pipeline (threads,
alignment, pose, masks, PNG + alignments writing) via faceswap.lib.extract.extract, then a
single-threaded loop that only decodes, detects and places landmarks. Prints one result line:
pipeline_fps / bare_fps = ratio (above 1: the threads more than pay for the extra work).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from faceswap.lib.extract import extract  # noqa: E402
from faceswap.lib.registry import load_plugin  # noqa: E402
from faceswap.lib.video import frames  # noqa: E402

CLIPS = REPO.parent / "shared" / "face-data" / "clips"
STILLS = REPO.parent / "shared" / "face-data" / "stills"


def warm_up(clip: Path, detector_name: str, aligner_name: str) -> None:
    """Load both models once, so neither timed run pays the one-off loading cost."""
    detector = load_plugin("detect", detector_name)
    aligner = load_plugin("align", aligner_name)
    first = next(frames(clip))[2]
    for detection in detector.detect(first):
        aligner.landmarks(first, detection.box)


def bare_loop(clip: Path, detector_name: str, aligner_name: str) -> tuple[int, int, float]:
    detector = load_plugin("detect", detector_name)
    aligner = load_plugin("align", aligner_name)
    count = faces = 0
    start = time.perf_counter()
    for _, _, image in frames(clip):
        for detection in detector.detect(image):
            aligner.landmarks(image, detection.box)
            faces += 1
        count += 1
    return count, faces, time.perf_counter() - start


def calibrate(detector_name: str) -> None:
    """Mean (dx, dy, sw, sh) turning the detector's boxes into dlib-hog's, over matched faces."""
    from faceswap.lib.image import read_image

    reference = load_plugin("detect", "dlib-hog")
    detector = load_plugin("detect", detector_name)
    saved = detector.BOX_TO_DLIB
    detector.BOX_TO_DLIB = (0.0, 0.0, 1.0, 1.0)
    images = [read_image(p) for p in sorted(STILLS.glob("*.jpg"))]
    for clip in sorted(CLIPS.glob("*.mp4")):
        images.extend(image for index, _, image in frames(clip, every_n=15) if index < 300)
    rows = []
    for image in images:
        for ref in reference.detect(image):
            rx, ry, rw, rh = ref.box
            for det in detector.detect(image):
                x, y, w, h = det.box
                ix = max(0, min(rx + rw, x + w) - max(rx, x))
                iy = max(0, min(ry + rh, y + h) - max(ry, y))
                if ix * iy > 0.3 * (rw * rh + w * h - ix * iy):
                    rows.append(((rx + rw / 2 - x - w / 2) / w, (ry + rh / 2 - y - h / 2) / h,
                                 rw / w, rh / h))
    detector.BOX_TO_DLIB = saved
    mean = np.median(np.array(rows), axis=0)
    print(f"calibrate detector={detector_name} matched={len(rows)} "
          f"BOX_TO_DLIB=({mean[0]:.3f}, {mean[1]:.3f}, {mean[2]:.3f}, {mean[3]:.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clip", type=Path, default=CLIPS / "livePortrait_d9.mp4")
    parser.add_argument("--detector", default="dlib-hog")
    parser.add_argument("--aligner", default="dlib-68")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args()
    if args.calibrate:
        calibrate(args.detector)
        return
    warm_up(args.clip, args.detector, args.aligner)
    with tempfile.TemporaryDirectory() as tmp:
        summary = extract(args.clip, Path(tmp) / "faces", detector=args.detector,
                          aligner=args.aligner, jobs=args.jobs,
                          alignments_path=Path(tmp) / "alignments.json")
    count, bare_faces, seconds = bare_loop(args.clip, args.detector, args.aligner)
    bare_fps = count / seconds
    print(
        f"extract_speed: clip={args.clip.name} detector={args.detector} "
        f"frames={summary.frames_processed} faces={summary.faces_written} "
        f"no_face_frames={summary.frames_without_face} "
        f"pipeline_fps={summary.frames_per_second:.1f} bare_fps={bare_fps:.1f} "
        f"ratio={summary.frames_per_second / bare_fps:.2f} bare_faces={bare_faces}"
    )


if __name__ == "__main__":
    main()
