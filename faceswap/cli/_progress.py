"""Progress bars for the long commands: the only place faceswap draws one.

The library reports progress through callbacks (``progress(done, total)``); the CLI turns them
into a tqdm bar. On a terminal the bar redraws in place and log lines are printed above it
(through ``tqdm.write``) instead of breaking it; when output goes to a file or a pipe there is
no bar at all (``disable=None``), so logs never fill up with carriage-return updates.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator

ProgressCallback = Callable[[int, int], None]


def add_progress_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-progress", action="store_true",
                        help="No progress bar (there is none anyway when output is not a "
                        "terminal).")


@contextlib.contextmanager
def progress_bar(args: argparse.Namespace, desc: str, unit: str = "frame",
                 postfix: Callable[[], str] | None = None) -> Iterator[ProgressCallback]:
    """Yield a ``progress(done, total)`` callback that drives one bar for the block's duration.

    ``postfix`` (optional) is called at each update for text shown after the bar (loss, speed).
    """
    from tqdm import tqdm
    from tqdm.contrib.logging import logging_redirect_tqdm

    disable = True if getattr(args, "no_progress", False) else None
    bars: list[tqdm] = []  # made at the first update, when the total is known

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total or None, unit=unit, desc=desc, dynamic_ncols=True,
                             smoothing=0.1, disable=disable))
        bar = bars[0]
        if total and bar.total != total:
            bar.total = total
        if postfix is not None:
            bar.set_postfix_str(postfix(), refresh=False)
        bar.update(done - bar.n)

    try:
        with logging_redirect_tqdm():
            yield update
    finally:
        if bars:
            bars[0].close()


def say(text: str) -> None:
    """Print a line for the user without breaking a progress bar that is on screen."""
    from tqdm import tqdm

    tqdm.write(text)
