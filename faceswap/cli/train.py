"""`faceswap train`: train a model on two folders of faces."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from faceswap.cli._options import add_option_flag
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
    parser.add_argument("-A", "--input-A", dest="input_a", required=True, type=Path,
                        help="Folder of faces of person A (from `faceswap extract`).")
    parser.add_argument("-B", "--input-B", dest="input_b", required=True, type=Path,
                        help="Folder of faces of person B.")
    parser.add_argument("-m", "--model-dir", required=True, type=Path,
                        help="Model folder: created if new, resumed if it holds a model.")
    parser.add_argument("-t", "--trainer", default="original",
                        help="Model plugin (default: original).")
    parser.add_argument("-b", "-bs", "--batch-size", type=int, default=16,
                        help="Faces per side per iteration (default 16).")
    parser.add_argument("-i", "-it", "--iterations", type=int, default=1_000_000,
                        help="Iterations to run in this session (default 1,000,000).")
    parser.add_argument("-s", "--save-interval", type=int, default=250,
                        help="Save every N iterations (default 250).")
    parser.add_argument("-I", "-ss", "--snapshot-interval", type=int, default=25_000,
                        help="Copy the model folder every N iterations; 0 = never (25,000).")
    parser.add_argument("-w", "--write-image", action="store_true",
                        help="Write training_preview.png at every save.")
    parser.add_argument("--preview-dir", type=Path,
                        help="Folder for the preview image (default: the model folder).")
    parser.add_argument("-n", "--no-logs", action="store_true",
                        help="Do not write TensorBoard logs.")
    parser.add_argument("--mixed-precision", action=argparse.BooleanOptionalAction, default=None,
                        help="Train in mixed float16 (GPUs); switchable on resume.")
    parser.add_argument("-d", "--distributed", action="store_true",
                        help="Train on every visible GPU (tf.distribute.MirroredStrategy), or, "
                        "with TF_CONFIG set, as one worker of a multi-machine cluster "
                        "(MultiWorkerMirroredStrategy; -bs is per worker).")
    parser.add_argument("-P", "--no-flip", action="store_true", help="No random flips.")
    parser.add_argument("-W", "--no-warp", action="store_true", help="No random warping.")
    parser.add_argument("-c", "--no-augment-color", action="store_true",
                        help="No colour augmentation.")
    parser.add_argument("-a", "--warmup", type=int, default=0,
                        help="Ramp the learning rate up over the first N iterations.")
    parser.add_argument("-l", "--load-weights", type=Path,
                        help="A .keras file of the same model: start a NEW model from the "
                        "weights of its load_layers sub-models (the encoder; encoder_df or "
                        "encoder_liae for dfl-sae), matched by layer name.")
    parser.add_argument("-f", "--freeze-weights", action="store_true",
                        help="Freeze the plugin's freeze_layers sub-models (the encoder by "
                        "default) and train the rest.")
    parser.add_argument("--seed", type=int, help="Seed for reproducible runs.")
    parser.add_argument("-j", "--workers", type=int, default=2,
                        help="Threads preparing batches (default 2).")
    add_progress_flag(parser)
    add_option_flag(parser)


def _format_eta(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def run(args: argparse.Namespace) -> int:
    from faceswap.stages.train.trainer import TrainOptions, train

    config = dict(args.option)
    if args.mixed_precision is not None:
        config["mixed_precision"] = args.mixed_precision
    options = TrainOptions(
        input_a=args.input_a, input_b=args.input_b, model_dir=args.model_dir,
        trainer=args.trainer, batch_size=args.batch_size, iterations=args.iterations,
        save_interval=args.save_interval, snapshot_interval=args.snapshot_interval,
        write_preview=args.write_image, preview_dir=args.preview_dir, no_logs=args.no_logs,
        distributed=args.distributed, no_flip=args.no_flip, no_warp=args.no_warp,
        no_augment_color=args.no_augment_color, warmup=args.warmup, seed=args.seed,
        load_weights=args.load_weights, freeze_weights=args.freeze_weights,
        workers=args.workers, config=config,
    )
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
