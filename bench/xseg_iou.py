"""Learned occlusion mask: xseg's IoU against the true visible face, beside the extended mask's.

Faces of four shared clips (d9, d10, d6, d3) are extracted; every other face trains, the rest
are held out (other frames of the same footage: what a user does who paints some faces of a
video and applies the mask to the others), and a fifth clip (d11, a person never trained on)
is held out as well. Each face gets one or two synthetic occluders (hands, bars, ellipses,
skin-coloured or not; ``tools.mask.train.paste_occluders``); the true visible face is the extended
landmark mask with the occluders cut out. An xseg network is trained on the labelled training
faces (with the trainer's own augmentation, synthetic occluders included) and judged on the
held-out ones: mean IoU of its mask and of the extended landmark mask against the truth.

    python bench/xseg_iou.py [--steps 600] [--size 64] [--width 8] [--prior 1] [--every 24]

One result line. About 2 minutes on 2 idle cores with the defaults.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _faces import CLIPS

TRAINED = ("livePortrait_d9.mp4", "livePortrait_d10.mp4", "livePortrait_d6.mp4",
           "livePortrait_d3.mp4")
UNSEEN = "livePortrait_d11.mp4"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--prior", type=int, default=1, choices=(0, 1))
    parser.add_argument("--every", type=int, default=24, help="extract every N-th frame")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import keras

    from faceswap.stages.extract import ExtractOptions, extract
    from faceswap.tools.mask import model as mask_model
    from faceswap.tools.mask import train as mask_trainer

    with tempfile.TemporaryDirectory(prefix="xseg_iou_") as work:
        folders = {}
        for clip in (*TRAINED, UNSEEN):
            # d6 has 1008 frames, the others 350-590: fewer of d6 keeps the people balanced.
            every = args.every * (2 if clip == "livePortrait_d6.mp4" else 1)
            extract(ExtractOptions(CLIPS / clip, Path(work) / clip, every_n=every, size=128,
                                   masks=(), alignments=Path(work) / f"{clip}.json"))
            folders[clip] = sorted((Path(work) / clip).glob("*.png"))
        seen = [path for clip in TRAINED for path in folders[clip]]
        train, held = seen[0::2], seen[1::2]
        faces, visible, priors = mask_trainer.occluded_faces(train, args.size, seed=1)
        tests = {"held-out frames": mask_trainer.occluded_faces(held, args.size, seed=2),
                 "unseen person (d11)": mask_trainer.occluded_faces(folders[UNSEEN], args.size,
                                                                   seed=3)}
        keras.utils.set_random_seed(args.seed)
        model = mask_model.create(Path(work) / "model", "xseg", args.size,
                                  {"width": args.width, "depth": 3, "prior": args.prior}, 1e-3)
        start = time.perf_counter()
        mask_trainer.fit(model, faces, visible, args.steps, priors=priors, batch_size=8,
                         seed=args.seed)
        seconds = time.perf_counter() - start
        parts = []
        for name, (test_faces, truth, extended) in tests.items():
            xseg = mask_trainer.iou(model.predict(test_faces, extended), truth).mean()
            landmark = mask_trainer.iou(extended, truth).mean()
            parts.append(f"{name} ({len(test_faces)} faces): xseg IoU {xseg:.3f} vs extended "
                         f"{landmark:.3f}")
    print(f"xseg_iou: {'; '.join(parts)} ({len(train)} training faces, {args.steps} steps at "
          f"{args.size} px, width {args.width}, prior {args.prior}, {seconds:.0f} s training)")


if __name__ == "__main__":
    main()
