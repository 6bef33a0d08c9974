"""`faceswap demo` end to end with a tiny iteration count."""

import cv2
import numpy as np

from faceswap.cli.main import main
from faceswap.lib import alignments as alignments_file
from faceswap.lib.provenance import read_provenance


def test_demo_writes_a_tagged_swap(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--iterations", "4"]) == 0
    printed = capsys.readouterr().out
    assert "1/3 extract" in printed and "3/3 convert" in printed and "Demo finished" in printed
    for name in ("faces/a/astronaut_0.png", "faces/b/grace_hopper_0.png", "model/original.keras",
                 "model/original_state.json", "training_preview.png", "swap.png",
                 "before_after.png"):
        assert (out / name).is_file(), name

    before = cv2.imread(str(out / "inputs" / "astronaut.png")).astype(int)
    after = cv2.imread(str(out / "swap.png")).astype(int)
    assert before.shape == after.shape
    face = alignments_file.load(out / "astronaut_alignments.json").frames["astronaut.png"]
    points = face.faces[0].landmarks
    inside = np.zeros(before.shape[:2], np.uint8)
    cv2.fillConvexPoly(inside, cv2.convexHull(np.rint(points[17:]).astype(np.int32)), 1)
    assert np.abs(after - before)[inside.astype(bool)].mean() > 3
    far = np.ones(before.shape[:2], bool)
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    pad = int(max(x1 - x0, y1 - y0))
    far[max(0, int(y0) - pad):int(y1) + pad, max(0, int(x0) - pad):int(x1) + pad] = False
    np.testing.assert_array_equal(after[far], before[far])

    for name in ("swap.png", "before_after.png"):
        tag = read_provenance(out / name)
        assert tag and tag["synthetic"] is True

    # A second run resumes training instead of starting over.
    assert main(["demo", "-o", str(out), "--iterations", "2"]) == 0
    assert "trained for 6 iterations in total" in capsys.readouterr().out
