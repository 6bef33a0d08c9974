"""Crop framing: train the same small model with this project's crop and with upstream's.

Our reference face frames the face about 8.7 % larger than upstream's at the same coverage
(upstream's mean face fitted onto ours: scale 0.920, shift (0.030, 0.014) unit). This trains two
identical small Original models on one A/B pair for the same iterations and seed, one cutting
every face with ``AlignedFace.matrix`` as shipped and one with upstream's crop
(``faceswap.tools.upstream.geometry.crop_matrix``, patched in for training, convert and
evaluate alike), then runs ``faceswap evaluate`` on each: reconstruction SSIM on held-out faces
(the last 20 % of each clip's frames, never trained on) and identity. One line per variant.

    python bench/crop_framing.py [FACES_A FACES_B VIDEO_A ALIGNMENTS_A [WORK]]
        [--iterations 250] [--base-filters 32] [--frames 30] [--seed 1]

FACES_A / FACES_B are `faceswap extract` folders (every frame), VIDEO_A is A's clip and
ALIGNMENTS_A its alignments file; without them every frame of the shared livePortrait_d9 (A)
and livePortrait_d3 (B) is extracted into WORK (default: a temporary folder). Each variant
runs in its own process so the patch cannot leak. About 5 minutes per variant on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _faces import CLIPS

HOLDOUT = 0.2


def _split(faces: Path, work: Path, name: str) -> tuple[Path, Path]:
    """Symlinked train/held-out folders: the held-out faces are the clip's last frames."""
    files = sorted(p for p in faces.iterdir() if p.suffix == ".png")
    cut = int(len(files) * (1 - HOLDOUT))
    train, held = work / f"{name}_train", work / f"{name}_held"
    for folder, part in ((train, files[:cut]), (held, files[cut:])):
        folder.mkdir(parents=True, exist_ok=True)
        for path in part:
            link = folder / path.name
            if not link.exists():
                link.symlink_to(path.absolute())
    return train, held


def _patch_upstream() -> None:
    from faceswap.lib.align.aligned_face import AlignedFace
    from faceswap.tools.upstream.geometry import crop_matrix

    def matrix(self, size, centering="head", coverage_ratio=1.0, y_offset=0.0):
        return crop_matrix(self.landmarks, size, centering, coverage_ratio)

    AlignedFace.matrix = matrix


def _variant(args: argparse.Namespace) -> None:
    if args.variant == "upstream":
        _patch_upstream()
    from faceswap.stages.evaluate import EvaluateOptions, evaluate
    from faceswap.stages.train.trainer import TrainOptions, train

    work = Path(args.work)
    train_a, held_a = _split(Path(args.faces_a), work, "a")
    train_b, held_b = _split(Path(args.faces_b), work, "b")
    model_dir = work / f"model_{args.variant}"
    start = time.perf_counter()
    train(TrainOptions(input_a=train_a, input_b=train_b, model_dir=model_dir,
                       iterations=args.iterations, save_interval=args.iterations,
                       snapshot_interval=0, no_logs=True, seed=args.seed, workers=1,
                       config={"base_filters": args.base_filters}))
    trained = time.perf_counter() - start
    report = evaluate(EvaluateOptions(input=Path(args.video_a), faces_b=held_b,
                                      model_dir=model_dir, alignments=Path(args.alignments_a),
                                      frames=args.frames, holdout_a=held_a, holdout_b=held_b))
    rec = report.reconstruction
    row = {"variant": args.variant, "seed": args.seed, "iterations": args.iterations,
           "train_s": round(trained),
           "ssim_a": rec.a.ssim if rec.a else None, "ssim_b": rec.b.ssim if rec.b else None,
           "psnr_a": rec.a.psnr if rec.a else None, "psnr_b": rec.b.psnr if rec.b else None,
           "distance_to_b": report.identity.distance_to_b,
           "distance_to_a": report.identity.distance_to_a,
           "retrieval": report.identity.retrieval,
           "pose_yaw_pitch_roll": [report.pose.yaw, report.pose.pitch, report.pose.roll],
           "expression": report.expression.overall, "temporal": report.temporal.ratio}
    print(f"crop_framing: {json.dumps(row)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("faces_a", "faces_b", "video_a", "alignments_a", "work"):
        parser.add_argument(name, nargs="?")
    parser.add_argument("--iterations", type=int, default=250)
    parser.add_argument("--base-filters", type=int, default=32)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--variant", choices=("ours", "upstream"))
    args = parser.parse_args()
    if args.variant:
        _variant(args)
        return
    with tempfile.TemporaryDirectory(prefix="faceswap_crop_") as tmp:
        work = Path(args.work or tmp)
        if not args.faces_a:
            from faceswap.stages.extract import ExtractOptions, extract

            for side, clip in (("a", "livePortrait_d9.mp4"), ("b", "livePortrait_d3.mp4")):
                extract(ExtractOptions(CLIPS / clip, work / f"faces_{side}", masks=(),
                                       alignments=work / f"{side}_alignments.json"))
            args.faces_a, args.faces_b = work / "faces_a", work / "faces_b"
            args.video_a, args.alignments_a = CLIPS / "livePortrait_d9.mp4", \
                work / "a_alignments.json"
        paths = [str(p) for p in (args.faces_a, args.faces_b, args.video_a, args.alignments_a)]
        options = [f"--{name.replace('_', '-')}={getattr(args, name)}"
                   for name in ("iterations", "base_filters", "frames", "seed")]
        for variant in ("ours", "upstream"):
            subprocess.run([sys.executable, __file__, *paths, str(work), *options,
                            "--variant", variant],
                           check=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})


if __name__ == "__main__":
    main()
