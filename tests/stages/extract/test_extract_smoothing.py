"""extract --smooth: landmarks stored smoothed over time, scene cuts recorded and respected."""

from __future__ import annotations

import numpy as np
import pytest
from fstest import write_video

from faceswap.lib import alignments
from faceswap.lib.align.smoothing import smooth_faces
from faceswap.lib.errors import FaceswapError
from faceswap.lib.faces import landmark_masks
from faceswap.lib.image import read_face_metadata
from faceswap.stages.extract import ExtractOptions, extract


@pytest.fixture(scope="module")
def two_shots(tmp_path_factory, d9_frames):
    """12 frames of d9 at half size: the last 6 much darker, as if the video cut to another
    shot."""
    import cv2

    small = [cv2.resize(f, (256, 240), interpolation=cv2.INTER_AREA) for f in d9_frames[:12]]
    frames = small[:6] + [(f * 0.45).astype(np.uint8) for f in small[6:]]
    path = tmp_path_factory.mktemp("shots") / "shots.mp4"
    write_video(path, frames, fps=30, audio=False)
    return path


def test_extract_smooth_stores_smoothed_landmarks_per_shot(two_shots, tmp_path):
    al_path = tmp_path / "shots_alignments.json"
    summary = extract(ExtractOptions(two_shots, tmp_path / "faces", alignments=al_path,
                                     jobs=2, size=64, masks=("extended",), smooth=True))
    assert summary.faces_written == 12 and summary.smoothed and summary.scene_cuts == 1
    assert "Landmarks: smoothed over time (1 scene cuts)" in summary.lines()
    data = alignments.load(al_path)
    keys = list(data.frames)
    assert data.extract["scene_cuts"] == [keys[6]]
    assert data.extract["smoothing"]["filter"] == "one-euro-zero-phase"
    assert data.extract["smoothing"]["fps"] == 30
    # The face PNGs keep the detector's landmarks: the smoothing is applied to them per shot.
    raw = [[alignments.Face.from_dict({
        **data.frames[key].faces[0].to_dict(),
        "landmarks": read_face_metadata(tmp_path / "faces" / f"{key}_0.png")["face"]["landmarks"],
    })] for key in keys]
    expected = smooth_faces(raw, _settings(data), cuts=[6])
    stored = np.stack([data.frames[key].faces[0].landmarks for key in keys])
    np.testing.assert_allclose(stored, np.stack([f[0].landmarks for f in expected]), atol=2e-3)
    assert np.abs(stored - np.stack([f[0].landmarks for f in raw])).max() > 0.3
    # Masks are drawn from the stored (smoothed) landmarks.
    from faceswap.lib.align import AlignedFace

    face = data.frames[keys[5]].faces[0]
    redrawn = landmark_masks(AlignedFace.from_landmarks(face.landmarks), ["extended"])
    assert redrawn["extended"].png == face.masks["extended"].png
    # A smoothed file cannot be resumed: new frames would not be smoothed with the old ones.
    with pytest.raises(FaceswapError, match="smoothed over time"):
        extract(ExtractOptions(two_shots, tmp_path / "faces", alignments=al_path, jobs=1,
                               size=64, masks=(), skip_existing=True))


def _settings(data):
    from faceswap.lib.align.smoothing import SmoothSettings

    record = {k: v for k, v in data.extract["smoothing"].items() if k != "filter"}
    return SmoothSettings(**record)
