"""`faceswap train`: train a model on two folders of faces."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from faceswap.cli._options import add_field, add_option_flag, options_from
from faceswap.cli._progress import add_progress_flag, progress_bar

HELP = "train a model on two folders of faces (person A and person B)"
DESCRIPTION = """\
Teach one shared encoder and two decoders (A and B) to rebuild warped faces of each person.
Prints iteration, loss A, loss B, examples/second (both sides together) and ETA; saves every
-s iterations and at the end (atomically, with a .bk backup of the best save); writes a
preview grid with -w and TensorBoard logs under MODEL_DIR/<model>_logs/ (view them with
`tensorboard --logdir MODEL_DIR`). A MODEL_DIR that already holds a model resumes it exactly.
Ctrl-C (or SIGTERM) finishes the current iteration, saves and exits.

Example:
  faceswap train -A faces/alice -B faces/bob -m models/alice_bob -it 10000 -w
"""


def configure(parser: argparse.ArgumentParser) -> None:
    from faceswap.stages.train.trainer import TrainOptions as T

    add_field(parser, T, "input_a", "-A", "--input-A", required=True, type=Path,
              help="Folder of faces of person A (from `faceswap extract`).")
    add_field(parser, T, "input_b", "-B", "--input-B", required=True, type=Path,
              help="Folder of faces of person B.")
    add_field(parser, T, "model_dir", "-m", "--model-dir", required=True, type=Path,
              help="Model folder: created if new, resumed if it holds a model.")
    add_field(parser, T, "trainer", "-t", "--trainer",
              help="Model plugin (default: %(default)s).")
    add_field(parser, T, "batch_size", "-b", "-bs", "--batch-size", type=int,
              help="Faces per side per iteration (default %(default)s).")
    add_field(parser, T, "iterations", "-i", "-it", "--iterations", type=int,
              help=f"Iterations to run in this session (default {T.iterations:,}).")
    add_field(parser, T, "save_interval", "-s", "--save-interval", type=int,
              help="Save every N iterations (default %(default)s).")
    add_field(parser, T, "snapshot_interval", "-I", "-ss", "--snapshot-interval", type=int,
              help="Copy the model folder every N iterations; 0 = never "
              f"({T.snapshot_interval:,}).")
    add_field(parser, T, "write_preview", "-w", "--write-image", action="store_true",
              help="Write training_preview.png at every save.")
    add_field(parser, T, "preview_dir", "--preview-dir", type=Path,
              help="Folder for the preview image (default: the model folder).")
    add_field(parser, T, "no_logs", "-n", "--no-logs", action="store_true",
              help="Do not write TensorBoard logs.")
    parser.add_argument("--mixed-precision", action=argparse.BooleanOptionalAction, default=None,
                        help="Train in mixed float16 (GPUs); switchable on resume.")
    add_field(parser, T, "distributed", "-d", "--distributed", action="store_true",
              help="Train on every visible GPU (tf.distribute.MirroredStrategy), or, with "
              "TF_CONFIG set, as one worker of a multi-machine cluster "
              "(MultiWorkerMirroredStrategy; -bs is per worker).")
    add_field(parser, T, "no_flip", "-P", "--no-flip", action="store_true",
              help="No random flips.")
    add_field(parser, T, "no_warp", "-W", "--no-warp", action="store_true",
              help="No random warping.")
    add_field(parser, T, "no_augment_color", "-c", "--no-augment-color", action="store_true",
              help="No colour augmentation.")
    add_field(parser, T, "warmup", "-a", "--warmup", type=int,
              help="Ramp the learning rate up over the first N iterations.")
    add_field(parser, T, "load_weights", "-l", "--load-weights", type=Path,
              help="A .keras file of the same model: start a NEW model from the weights of its "
              "load_layers sub-models (the encoder; encoder_df or encoder_liae for dfl-sae), "
              "matched by layer name.")
    add_field(parser, T, "freeze_weights", "-f", "--freeze-weights", action="store_true",
              help="Freeze the plugin's freeze_layers sub-models (the encoder by default) and "
              "train the rest.")
    add_field(parser, T, "seed", "--seed", type=int, help="Seed for reproducible runs.")
    add_field(parser, T, "workers", "-j", "--workers", type=int,
              help="Threads preparing batches (default %(default)s).")
    add_progress_flag(parser)
    add_option_flag(parser)


def _format_eta(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def run(args: argparse.Namespace) -> int:
    from faceswap.stages.train.trainer import TrainOptions, train

    config = dict(args.config)
    if args.mixed_precision is not None:
        config["mixed_precision"] = args.mixed_precision
    options = options_from(TrainOptions, args, config=config)
    if sys.stdout.isatty() and not args.no_progress:
        latest: list[str] = [""]
        with progress_bar(args, "train", unit="it", postfix=lambda: latest[0]) as update:
            def report(progress) -> None:
                latest[0] = (f"#{progress.iteration} loss A {progress.loss_a:.5f}, "
                             f"loss B {progress.loss_b:.5f}, "
                             f"{progress.examples_per_second:.1f} ex/s")
                update(progress.session_iteration, progress.session_iterations)

            summary = train(options, report)
    else:
        # Logs and pipes get a plain line every 10 s (no bar, no carriage returns).
        last_print = [0.0]

        def log_line(progress) -> None:
            now = time.monotonic()
            if now - last_print[0] > 10 or progress.session_iteration in (
                    1, progress.session_iterations):
                print(f"[{time.strftime('%H:%M:%S')}] [#{progress.iteration:05d}] "
                      f"Loss A: {progress.loss_a:.5f}, Loss B: {progress.loss_b:.5f} | "
                      f"{progress.examples_per_second:.1f} ex/s | "
                      f"ETA {_format_eta(progress.eta_seconds)}", flush=True)
                last_print[0] = now

        summary = train(options, None if args.no_progress else log_line)
    state = "stopped on request" if summary.stopped_early else "finished"
    print(f"Training {state}: {summary.session_iterations} iterations this session, "
          f"{summary.iterations} in total, {summary.seconds:.0f} s, "
          f"{summary.examples_per_second:.1f} examples/s")
    if summary.loss_a is not None:
        print(f"Final loss A: {summary.loss_a:.5f}, loss B: {summary.loss_b:.5f}")
    print(f"Model: {summary.model_path}")
    if summary.preview_path:
        print(f"Preview: {summary.preview_path}")
    if summary.loss_plot:
        print(f"Loss plot: {summary.loss_plot}")
    if summary.weights_checksum:
        # Equal on every worker of a multi-worker run: they trained one and the same model.
        print(f"weights checksum: {summary.weights_checksum}")
    return 0
