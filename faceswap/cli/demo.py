"""`faceswap demo`: a real face swap on two bundled public-domain portraits."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from faceswap.cli._options import add_field, options_from
from faceswap.cli._progress import add_progress_flag, progress_bar, say

HELP = "run extract → train → convert on two bundled portraits and show the swap"
DESCRIPTION = """\
Extracts the faces of two public-domain portraits that ship inside scikit-image (NASA's
astronaut Eileen Collins) and matplotlib (Grace Hopper), trains a small Original model on them
(5 to 10 minutes on 2 CPU cores) and puts Grace Hopper's face on the astronaut. Writes the
aligned faces, the model, training_preview.png, swap.png and before_after.png to -o. Running it
again with the same -o resumes training where it stopped.
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from faceswap.tools.demo import DemoOptions

    add_field(parser, DemoOptions, "output_dir", "-o", "--output-dir", type=Path,
              help="Where to write everything (default ./%(default)s).")
    add_field(parser, DemoOptions, "iterations", "--iterations", type=int,
              help="Training iterations this run (default %(default)s).")
    add_progress_flag(parser)


def run(args: argparse.Namespace) -> int:
    from faceswap.tools.demo import DemoOptions, demo

    start = time.perf_counter()
    latest: list[str] = [""]

    with progress_bar(args, "train", unit="it", postfix=lambda: latest[0]) as update:
        def report(progress) -> None:
            latest[0] = (f"loss A {progress.loss_a:.4f}, loss B {progress.loss_b:.4f}, "
                         f"{progress.examples_per_second:.1f} ex/s")
            update(progress.session_iteration, progress.session_iterations)

        summary = demo(options_from(DemoOptions, args), report, stage=say)
    stages = ", ".join(f"{k} {v:.0f} s" for k, v in summary.stage_seconds.items())
    print(f"\nDemo finished in {time.perf_counter() - start:.0f} s ({stages})")
    if summary.loss_a is not None:
        print(f"Model trained for {summary.iterations} iterations in total; final loss A "
              f"{summary.loss_a:.4f}, loss B {summary.loss_b:.4f}")
    for name, path in summary.files.items():
        print(f"  {name:14} {path}")
    return 0
