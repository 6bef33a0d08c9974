"""bench/run_all.py keeps the analysis and replaces only the results table."""

import importlib.util

from fstest import REPO


def _module():
    spec = importlib.util.spec_from_file_location("run_all", REPO / "bench" / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rewrite_replaces_only_the_table():
    run_all = _module()
    doc = f"# Benchmarks\n\nintro\n\n{run_all.START}\nold\n{run_all.END}\n\n## Analysis\nkept\n"
    block = run_all.render([("train_speed", "train_speed: ours 3.0, bare 3.1, ratio 0.97")])
    new = run_all.rewrite(doc, block)
    assert "old" not in new and "ratio 0.97" in new
    assert new.startswith("# Benchmarks\n\nintro") and new.endswith("## Analysis\nkept\n")
    assert "| `bench/train_speed.py` |" in new


def test_rewrite_appends_when_no_markers():
    run_all = _module()
    new = run_all.rewrite("# Benchmarks\n", run_all.render([]))
    assert run_all.START in new and run_all.END in new


def test_existing_rows_are_parsed_back():
    run_all = _module()
    block = run_all.render([("a_speed", "a_speed: 1"), ("b_speed", "b_speed: 2")])
    assert run_all.existing_rows(block) == [("a_speed", "a_speed: 1"), ("b_speed", "b_speed: 2")]
