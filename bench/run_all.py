"""Run every benchmark in bench/ and rewrite the results table in docs/benchmarks.md.

Each bench script prints one or more result lines of the form ``<name>: <result>``. The table
between the ``bench:start`` and ``bench:end`` markers is replaced with those lines, the date
and the machine; everything else in the document (the analysis) is kept.

    python bench/run_all.py [--only train_speed,backends] [--dry-run]
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
DOC = BENCH.parent / "docs" / "benchmarks.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def run(script: Path) -> list[str]:
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            cwd=BENCH.parent)
    prefix = f"{script.stem}:"
    lines = [line.strip() for line in result.stdout.splitlines() if line.startswith(prefix)]
    if result.returncode or not lines:
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        return [f"{script.stem}: FAILED ({tail[:200]})"]
    return lines


def render(rows: list[tuple[str, str]]) -> str:
    date = datetime.date.today().isoformat()
    table = ["| script | result |", "|---|---|"]
    table += [f"| `bench/{name}.py` | {line.replace('|', '/')} |" for name, line in rows]
    sys.path.insert(0, str(BENCH.parent))
    from faceswap.lib.system import describe

    return "\n".join([START, f"Measured {date} on {describe()}.", "", *table, END])


def existing_rows(doc: str) -> list[tuple[str, str]]:
    """The (script, line) rows of the current table, so a partial run keeps the others."""
    rows = []
    for match in re.finditer(r"^\| `bench/(\w+)\.py` \| (.*) \|$", doc, flags=re.M):
        rows.append((match.group(1), match.group(2)))
    return rows


def rewrite(doc: str, block: str) -> str:
    if START in doc and END in doc:
        return re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, doc,
                      flags=re.S)
    return doc.rstrip() + "\n\n" + block + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated script names")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the doc")
    args = parser.parse_args()
    scripts = sorted(p for p in BENCH.glob("*.py") if p.stem not in ("run_all",)
                     and not p.stem.startswith("_"))
    if args.only:
        wanted = set(args.only.split(","))
        scripts = [p for p in scripts if p.stem in wanted]
    rows = []
    for script in scripts:
        print(f"running {script.name}...", flush=True)
        for line in run(script):
            print(line, flush=True)
            rows.append((script.stem, line))
    current = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    ran = {script.stem for script in scripts}
    kept = [row for row in existing_rows(current) if row[0] not in ran]
    block = render(sorted(kept + rows, key=lambda row: row[0]))
    if args.dry_run:
        print(block)
        return
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(rewrite(current, block), encoding="utf-8")
    print(f"updated {DOC}")


if __name__ == "__main__":
    main()
