"""Suite-wide fixtures. Helpers live in fstest.py."""

from __future__ import annotations

import logging
import sys

import pytest


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
    if report.skipped and "shared" in str(report.longrepr):
        from fstest import SHARED

        if SHARED.is_dir():
            report.outcome = "failed"
            report.longrepr = f"skipped although {SHARED} exists: {report.longrepr}"
