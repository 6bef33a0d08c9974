"""How long `faceswap COMMAND --help` takes in a fresh interpreter: every command's start-up cost.

    python bench/cli_startup.py [--runs 15] [--command extract]

Building the parser imports each command's options dataclass to read its defaults
(cli/_options.py), so this watches that the CLI stays quick to start and loads no backend.
The faceswap found first on PYTHONPATH is the one timed (to compare two checkouts, run it with
PYTHONPATH=<checkout>). Prints one result line: the median and the fastest of ``--runs``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--command", default="extract")
    args = parser.parse_args()
    argv = [sys.executable, "-m", "faceswap.cli.main", args.command, "--help"]
    probe = subprocess.run(
        [sys.executable, "-c", "import faceswap, os; from faceswap.lib.system import cpu_name; "
         "print(os.path.dirname(faceswap.__file__), cpu_name(), sep='; ')"],
        capture_output=True, text=True, check=True)
    seconds = []
    for _ in range(args.runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        seconds.append(time.perf_counter() - start)
    print(f"cli_startup: faceswap {args.command} --help median {statistics.median(seconds):.3f} s, "
          f"fastest {min(seconds):.3f} s over {args.runs} runs ({probe.stdout.strip()}, "
          f"{os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
