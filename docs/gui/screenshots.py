"""Make the web GUI screenshots in docs/gui/: the README workflow, clicked through in Chromium.

    python docs/gui/screenshots.py [WORK_DIR]

Needs Debian's chromium and Playwright (the dev extra). It uses the demo's two public-domain
portraits (astronaut Eileen Collins, Grace Hopper), extracts both, trains a small model for a
few hundred iterations (a few minutes on 2 CPU cores), then photographs each view.
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from faceswap.gui import project as project_file
from faceswap.gui.app import create_app
from faceswap.tools.demo import demo_images

OUT = Path(__file__).resolve().parent
TOKEN = "screenshots-token-0123456789"
ITERATIONS = 400
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def shot(page, name: str) -> None:
    """A viewport screenshot as a 256-colour PNG (a third of the size, same look)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image.quantize(256, method=Image.Quantize.MEDIANCUT).save(OUT / f"{name}.png",
                                                              optimize=True)


def main(work: Path) -> None:
    import uvicorn

    folder = work / "project"
    astronaut, hopper = demo_images(work / "inputs")
    for side, path in (("a", astronaut), ("b", hopper)):
        (folder / f"people_{side}").mkdir(parents=True, exist_ok=True)
        shutil.copy(path, folder / f"people_{side}" / path.name)
    project = project_file.load(folder)
    project.update({"source_a": "people_a", "source_b": "people_b", "extract": {"size": 128},
                    "train": {"batch_size": 4, "iterations": ITERATIONS, "save_interval": 100,
                              "config": {"input_size": 64, "base_filters": 32}}})
    project.save()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(folder, TOKEN), host="127.0.0.1",
                                           port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                 args=ARGS)
            page = browser.new_page(viewport={"width": 1100, "height": 720})
            page.on("dialog", lambda dialog: dialog.dismiss())
            page.goto(f"http://127.0.0.1:{port}/?token={TOKEN}")
            expect(page.locator("#source_a")).to_have_value("people_a")
            page.click("button.browse[data-for=source_a]")
            expect(page.locator("#browser-list li").first).to_be_visible()
            shot(page, "project")
            page.click("#browser-close")
            page.click("#extract-a")
            page.click("#extract-b")
            page.click("#tabs button[data-view=train]")
            page.click("#start-train")
            page.click("#tabs button[data-view=jobs]")
            train = page.locator("#jobs-table tr[data-state]").first
            expect(train.locator(".details")).to_contain_text("iteration 2", timeout=300_000)
            page.wait_for_timeout(20_000)
            shot(page, "jobs")
            expect(train).to_have_attribute("data-state", "done", timeout=1_200_000)
            page.click("#tabs button[data-view=train]")
            expect(page.locator("#train-preview")).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1000)
            shot(page, "train")
            page.click("#tabs button[data-view=faces]")
            page.locator("#faces-grid .face").first.click()
            shot(page, "faces")
            page.click("#tabs button[data-view=convert]")
            expect(page.locator("#frame-swapped")).to_have_attribute("data-seq", "1",
                                                                     timeout=120_000)
            page.wait_for_timeout(500)
            shot(page, "convert")
            browser.close()
    finally:
        server.should_exit = True


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as temp:
            main(Path(temp))
