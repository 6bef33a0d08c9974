"""`faceswap gui` in a real browser: headless Chromium (Debian's package) driven by Playwright.

The page is served by the real app under uvicorn; the jobs run for real in worker processes.
It extracts faces, trains a tiny model for two iterations, watches progress and the preview
appear, deletes a face, and fails on any console error. (The convert view's preview is tested
through the API in test_gui_api.py; docs/gui/screenshots.py drives that view in the browser.)
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from fstest import TINY, write_extracted_faces
from gui_fixtures import people

from faceswap.gui import project as project_file
from faceswap.gui.app import create_app
from faceswap.lib import alignments as alignments_file

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("no Chromium on this machine (.ci/run installs Debian's 'chromium'; "
                "`apt-get install chromium` where apt can reach Debian)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                               "(it is in the dev extra: pip install -e '.[dev]')")

TOKEN = "browser-test-token-0123456789"
# As the machine notes say: without the background-networking flags Chromium keeps trying to
# reach Google's hosts, which this closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _project(folder: Path, iterations: int) -> None:
    people(folder / "people")
    write_extracted_faces(folder / "faces" / "b", 4, size=64)
    project = project_file.load(folder)
    project.update({"source_a": "people", "extract": {"size": 64},
                    "train": {"batch_size": 2, "iterations": iterations, "save_interval": 100,
                              "config": dict(TINY)}})
    project.save()


@pytest.fixture
def served(tmp_path):
    import uvicorn

    folder = tmp_path / "project"
    _project(folder, 2)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(folder, TOKEN), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert server.started
    yield folder, f"http://127.0.0.1:{port}/?token={TOKEN}"
    server.should_exit = True
    thread.join(60)


def test_extract_train_and_delete_a_face_in_the_browser(served):
    folder, url = served
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error"
                    else None)
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on("dialog", lambda dialog: dialog.accept())
            page.goto(url)
            expect = sync_api.expect
            expect(page.locator("#source_a")).to_have_value("people")
            assert "token" not in page.url  # the page dropped it from the address bar

            # Extract A: the job list shows its progress and then "done".
            page.click("#extract-a")
            page.click("#tabs button[data-view=jobs]")
            row = page.locator("#jobs-table tr[data-state]").first
            expect(row).to_have_attribute("data-state", "done", timeout=90_000)
            expect(row.locator(".details")).to_contain_text("2/2 frames")

            # Train: two iterations of the tiny model; progress, then the preview and the graph.
            page.click("#tabs button[data-view=train]")
            page.click("#start-train")
            page.click("#tabs button[data-view=jobs]")
            train = page.locator("#jobs-table tr[data-state]").first
            expect(train.locator("td").first).to_have_text("train")
            expect(train.locator(".details")).to_contain_text("iteration", timeout=120_000)
            expect(train.locator(".details")).to_contain_text("loss A")
            expect(train).to_have_attribute("data-state", "done", timeout=120_000)
            page.click("#tabs button[data-view=train]")
            preview = page.locator("#train-preview")
            expect(preview).to_be_visible(timeout=20_000)
            assert page.evaluate("document.querySelector('#train-preview').naturalWidth") > 0
            expect(page.locator("#model-summary")).to_contain_text("2 iterations")
            expect(page.locator("#options-table [data-option=learning_rate]")).to_have_value(
                "0.00005")
            drawn = page.evaluate("""() => {
                const c = document.querySelector('#loss-graph');
                const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                let blue = 0;
                for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 200 && d[i] < 80) blue++;
                return blue; }""")
            assert drawn > 10  # loss A's line

            # Faces: delete one of A's two faces; the alignments file follows.
            page.click("#tabs button[data-view=faces]")
            tiles = page.locator("#faces-grid .face")
            expect(tiles).to_have_count(2)
            page.locator("#faces-grid .face[data-name='grace_hopper_0.png']").click()
            expect(page.locator("#faces-delete")).to_have_text("Delete 1 selected")
            page.click("#faces-delete")
            expect(tiles).to_have_count(1)
            expect(page.locator("#message")).to_contain_text("1 dropped from the alignments")

        finally:
            browser.close()
    assert errors == []
    project = project_file.load(folder)
    data = alignments_file.load(project.alignments("a"))
    assert data.frames["grace_hopper.png"].faces == []
    assert len(data.frames["astronaut.png"].faces) == 1
    assert (folder / "model" / "training_preview.png").is_file()
