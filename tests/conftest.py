"""Suite-wide fixtures, real faces from ../shared/face-data among them. Helpers live in fstest.py
(and face_data.py: where the shared faces are)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from face_data import D9, SHARED


@pytest.fixture(autouse=True)
def _float32_policy():
    """Mixed precision is a process-wide Keras setting: reset it around every test."""
    yield
    if "keras" in sys.modules:
        import keras

        keras.mixed_precision.set_dtype_policy("float32")


@pytest.fixture(autouse=True, scope="session")
def _faceswap_cache(tmp_path_factory):
    """Convert caches OpenVINO conversions (stages/convert/inference.py): not in ~/.cache."""
    patcher = pytest.MonkeyPatch()
    patcher.setenv("FACESWAP_CACHE", str(tmp_path_factory.mktemp("faceswap_cache")))
    yield
    patcher.undo()


@pytest.fixture
def caplog_info(caplog):
    caplog.set_level(logging.INFO)
    return caplog


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that skips for want of ../shared while ../shared is there has a wrong path (a
    test moved to another folder): fail it instead of hiding it."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and "../shared" in str(report.longrepr):
        from fstest import SHARED

        if SHARED.is_dir():
            report.outcome = "failed"
            report.longrepr = f"skipped although {SHARED} exists: {report.longrepr}"


@pytest.fixture(scope="session")
def d9_frames() -> list[np.ndarray]:
    """The first 60 frames of livePortrait_d9.mp4 (BGR)."""
    if not SHARED.is_dir():
        pytest.skip("../shared is absent")
    from faceswap.lib.video import frames

    out = []
    for index, _, frame in frames(D9):
        if index >= 60:
            break
        out.append(frame)
    return out


@pytest.fixture(scope="session")
def d9_landmarks(d9_frames) -> list[np.ndarray]:
    """One (68, 2) landmark set per frame of ``d9_frames`` (dlib-hog + dlib-68)."""
    from faceswap.lib.registry import load_plugin

    detector, aligner = load_plugin("detect", "dlib-hog"), load_plugin("align", "dlib-68")
    out = []
    for frame in d9_frames:
        detections = detector.detect(frame)
        assert len(detections) == 1
        out.append(aligner.landmarks(frame, detections[0].box))
    return out


@pytest.fixture(scope="session")
def d9_clip60(tmp_path_factory, d9_frames) -> Path:
    """A real 60-frame H.264 clip: the first 60 frames of livePortrait_d9 re-encoded."""
    import av

    path = tmp_path_factory.mktemp("clip") / "d9_60.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.height, stream.width = d9_frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "18", "preset": "ultrafast"}
        for image in d9_frames:
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path

