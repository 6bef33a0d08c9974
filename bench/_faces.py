"""Real aligned faces for the training benchmarks, extracted from two shared clips."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_DATA = REPO.parent / "shared" / "face-data"
# The clips sit in face-data/clips/ on some checkouts and directly in face-data/ on others.
CLIPS = next((folder for folder in (_DATA / "clips", _DATA)
              if (folder / "livePortrait_d9.mp4").is_file()), _DATA / "clips")


def extract_pair(work: Path, every_n: int = 8) -> tuple[Path, Path]:
    """Faces of d9 (side A) and d3 (side B), every ``every_n``-th frame, under ``work``."""
    from faceswap.stages.extract import ExtractOptions, extract

    for side, clip in (("a", "livePortrait_d9.mp4"), ("b", "livePortrait_d3.mp4")):
        extract(ExtractOptions(CLIPS / clip, work / side, every_n=every_n,
                               alignments=work / f"{side}.json"))
    return work / "a", work / "b"
