"""Frames/s of `faceswap extract` on a shared clip against the bare detect+landmarks loop.

    python bench/extract_speed.py [--clip PATH] [--detector dlib-hog] [--jobs N]
    python bench/extract_speed.py --calibrate --detector opencv-dnn   # box mapping to dlib's
    python bench/extract_speed.py --compare blazeface [--every-n 2]    # bare detectors vs dlib-hog

Both runs see the same frames, with the models already loaded: the pipeline (threads,
alignment, pose, masks, PNG + alignments writing) via faceswap.stages.extract.extract, then a
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

from faceswap.lib.alignments import box_iou  # noqa: E402
from faceswap.lib.registry import load_plugin  # noqa: E402
from faceswap.lib.video import frames  # noqa: E402
from faceswap.stages.extract import ExtractOptions, extract  # noqa: E402

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


def compare(names: list[str], every_n: int, aligner_name: str) -> None:
    """Bare detectors against dlib-hog on every shared clip (and the stills), frame by frame.

    Per clip and detector: frames with at least one face, frames with more than one (the clips
    hold one person each, so those are false positives), detect-only frames/s, and how far
    dlib-68's landmarks from the detector's box land from dlib-68's landmarks from dlib-hog's
    box for the same face (mean over the 68 points, in inter-ocular distances; median and 90th
    percentile over faces). The detectors take turns on each frame, alternating which goes
    first, so load from other jobs on the shared cores hits them alike.
    """
    from faceswap.lib.image import read_image

    names = ["dlib-hog", *[n for n in names if n != "dlib-hog"]]
    detectors = {name: load_plugin("detect", name) for name in names}
    aligner = load_plugin("align", aligner_name)
    sources: list[tuple[str, object]] = [
        (clip.stem.removeprefix("livePortrait_"),
         (image for _, _, image in frames(clip, every_n=every_n)))
        for clip in sorted(CLIPS.glob("*.mp4"))
    ]
    sources.append(("stills", (read_image(p) for p in sorted(STILLS.glob("*.jpg")))))
    first = next(frames(CLIPS / "livePortrait_d9.mp4"))[2]
    for detector in detectors.values():  # one-off model loading stays out of the timings
        detector.detect(first)
    totals = {name: [0, 0, 0.0] for name in names}  # frames, frames with a face, seconds
    for label, images in sources:
        count = 0
        found = {name: 0 for name in names}
        several = {name: 0 for name in names}
        only = {name: 0 for name in names}
        seconds = {name: 0.0 for name in names}
        errors: dict[str, list[float]] = {name: [] for name in names[1:]}
        for image in images:
            order = names if count % 2 == 0 else names[::-1]
            results = {}
            for name in order:
                start = time.perf_counter()
                results[name] = detectors[name].detect(image)
                seconds[name] += time.perf_counter() - start
            count += 1
            for name in names:
                found[name] += bool(results[name])
                several[name] += len(results[name]) > 1
                only[name] += bool(results[name]) and not results["dlib-hog"]
            for ref in results["dlib-hog"]:
                reference = aligner.landmarks(image, ref.box)
                eyes = np.linalg.norm(reference[36:42].mean(0) - reference[42:48].mean(0))
                for name in names[1:]:
                    match = max(results[name], key=lambda d, r=ref: box_iou(r.box, d.box),
                                default=None)
                    if match is None or box_iou(ref.box, match.box) < 0.3:
                        continue
                    points = aligner.landmarks(image, match.box)
                    errors[name].append(
                        float(np.linalg.norm(points - reference, axis=1).mean() / eyes))
        hog_fps = count / seconds["dlib-hog"]
        for name in names:
            totals[name][0] += count
            totals[name][1] += found[name]
            totals[name][2] += seconds[name]
            fps = count / seconds[name]
            line = (f"extract_speed: compare source={label} detector={name} frames={count} "
                    f"with_face={found[name]} recall={found[name] / count:.3f} "
                    f"multi={several[name]} only_this={only[name]} "
                    f"detect_fps={fps:.1f} fps_vs_hog={fps / hog_fps:.2f}")
            if errors.get(name):
                err = np.array(errors[name])
                line += (f" lm_err_iod_median={np.median(err):.3f} "
                         f"p90={np.percentile(err, 90):.3f} matched={len(err)}")
            print(line, flush=True)
    hog_fps = totals["dlib-hog"][0] / totals["dlib-hog"][2]
    for name, (count, with_face, seconds) in totals.items():
        print(f"extract_speed: compare source=all detector={name} frames={count} "
              f"recall={with_face / count:.3f} detect_fps={count / seconds:.1f} "
              f"fps_vs_hog={count / seconds / hog_fps:.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clip", type=Path, default=CLIPS / "livePortrait_d9.mp4")
    parser.add_argument("--detector", default="dlib-hog")
    parser.add_argument("--aligner", default="dlib-68")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--calibrate", action="store_true")
    parser.add_argument("--compare", nargs="+", metavar="DETECTOR",
                        help="bare detectors against dlib-hog on every shared clip and still")
    parser.add_argument("--every-n", type=int, default=1, help="with --compare: every Nth frame")
    args = parser.parse_args()
    if args.calibrate:
        calibrate(args.detector)
        return
    if args.compare:
        compare(args.compare, args.every_n, args.aligner)
        return
    warm_up(args.clip, args.detector, args.aligner)
    with tempfile.TemporaryDirectory() as tmp:
        summary = extract(ExtractOptions(
            args.clip, Path(tmp) / "faces", detector=args.detector, aligner=args.aligner,
            jobs=args.jobs, alignments=Path(tmp) / "alignments.json"))
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
