"""`faceswap gui`'s server: token auth, project file, job queue, faces, convert preview.

The jobs run for real (worker processes calling faceswap.extract) on the two public-domain
portraits the demo uses, kept small so the file runs in seconds.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from fstest import make_original
from gui_fixtures import people

from faceswap.gui import project as project_file
from faceswap.gui.app import COOKIE, create_app
from faceswap.gui.jobs import FILE_NAME as JOBS_FILE
from faceswap.gui.jobs import JobQueue
from faceswap.lib import alignments as alignments_file

TestClient = pytest.importorskip("fastapi.testclient").TestClient

TOKEN = "t0ken-for-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def client_for(folder: Path) -> TestClient:
    return TestClient(create_app(folder, TOKEN))


def wait_for(client: TestClient, job_id: str, states: tuple[str, ...], timeout: float = 120):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        job = next(j for j in client.get("/api/jobs", headers=AUTH).json() if j["id"] == job_id)
        if job["state"] in states:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} never reached {states}: {job}")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """A project whose side A (both portraits) went through a real extract job."""
    folder = tmp_path_factory.mktemp("gui") / "project"
    people(folder / "people")
    with client_for(folder) as client:
        saved = client.put("/api/project", headers=AUTH, json={
            "source_a": "people", "extract": {"size": 64}})
        assert saved.status_code == 200, saved.text
        job = client.post("/api/jobs", headers=AUTH, json={"kind": "extract", "side": "a"}).json()
        assert job["state"] in ("queued", "running")
        done = wait_for(client, job["id"], ("done", "failed"))
    assert done["state"] == "done", done
    return folder


def test_every_request_without_the_token_gets_401(tmp_path):
    with client_for(tmp_path) as client:
        for path in ("/", "/static/app.js", "/api/project", "/api/jobs", "/api/events",
                     "/api/faces/a", "/api/train/history"):
            assert client.get(path).status_code == 401, path
            assert client.get(path, params={"token": "wrong"}).status_code == 401, path
        assert client.post("/api/jobs", json={"kind": "extract"}).status_code == 401
        assert client.get("/api/project", headers={"Authorization": "Bearer nope"}).status_code \
            == 401
        assert not (tmp_path / JOBS_FILE).exists()  # nothing was queued
        page = client.get("/", params={"token": TOKEN})
        assert page.status_code == 200 and "<title>faceswap</title>" in page.text
        # The link's token becomes a cookie, so the page's own requests need no header.
        assert client.cookies.get(COOKIE) == TOKEN
        assert client.get("/static/app.js").status_code == 200
        assert "http" not in client.get("/").text.replace("http-equiv", "")  # no remote assets


def test_project_is_saved_and_loaded(tmp_path):
    with client_for(tmp_path) as client:
        reply = client.put("/api/project", headers=AUTH, json={
            "source_a": "clips/alice.mp4", "source_b": "/data/bob", "train": {"batch_size": 4}})
        assert reply.status_code == 200
        bad = client.put("/api/project", headers=AUTH, json={"sourc_a": "typo"})
        assert bad.status_code == 400 and "sourc_a" in bad.json()["error"]
    stored = json.loads((tmp_path / project_file.FILE_NAME).read_text())
    assert stored["source_a"] == "clips/alice.mp4" and stored["train"]["batch_size"] == 4
    loaded = project_file.load(tmp_path)
    assert loaded.source("a") == tmp_path / "clips/alice.mp4"
    assert loaded.source("b") == Path("/data/bob")
    assert loaded.train["iterations"] == 10_000  # defaults kept beside the change
    with client_for(tmp_path) as client:  # a new server reads it back
        assert client.get("/api/project", headers=AUTH).json()["source_b"] == "/data/bob"


def test_extract_job_reports_progress_and_records_alignments(extracted):
    jobs = json.loads((extracted / JOBS_FILE).read_text())["jobs"]
    (job,) = jobs
    assert job["state"] == "done" and job["title"] == "extract A"
    assert job["progress"]["done"] == job["progress"]["total"] == 2
    assert job["progress"]["unit"] == "frames" and job["progress"]["rate"] > 0
    assert job["result"]["faces_written"] == 2
    project = project_file.load(extracted)
    assert project.alignments_a == "people_alignments.json"  # relative: the folder can move
    assert project.alignments("a") == Path(job["result"]["alignments_path"])
    assert len(list((extracted / "faces" / "a").glob("*.png"))) == 2


def test_jobs_stop_and_a_killed_server_shows_interrupted_jobs(tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    blank = np.full((64, 64, 3), 90, np.uint8)
    for index in range(200):  # no faces: each frame is quick, the job is long enough to stop
        cv2.imwrite(str(frames / f"f{index:03d}.png"), blank)
    queue = JobQueue(tmp_path)
    options = {"input": str(frames), "output_dir": str(tmp_path / "faces"), "size": 64}
    first = queue.submit("extract", options, "extract A")
    second = queue.submit("extract", options, "extract B")
    end = time.monotonic() + 60
    while not first.progress.get("done") and time.monotonic() < end:
        time.sleep(0.05)
    assert first.state == "running" and second.state == "queued"
    # The list on disk as it was when a server died with these two jobs in it.
    killed = tmp_path / "killed"
    killed.mkdir()
    shutil.copy(tmp_path / JOBS_FILE, killed / JOBS_FILE)
    assert queue.stop(second.id).state == "stopped"  # a queued job is dropped at once
    queue.stop(first.id)
    assert queue.wait_idle(60)
    queue.close()
    assert first.state == "stopped" and 0 < first.progress["done"] < 200
    assert second.started is None
    reopened = JobQueue(killed)
    try:
        states = {job.title: (job.state, job.error) for job in reopened.jobs}
        # Run again: an interrupted extract resumes (skips the frames it already did).
        again = reopened.retry(reopened.jobs[0].id)
        assert again.options["skip_existing"] and again.title == "extract A"
    finally:
        reopened.close()
    assert states["extract A"][0] == "interrupted" and "running" in states["extract A"][1]
    assert states["extract B"][0] == "interrupted" and "never started" in states["extract B"][1]
    stored = json.loads((killed / JOBS_FILE).read_text())["jobs"]
    assert [job["state"] for job in stored][:2] == ["interrupted", "interrupted"]


def test_events_stream_starts_with_the_job_list(extracted, tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(extracted, folder)
    with client_for(folder) as client, client.stream("GET", "/api/events",
                                                     headers=AUTH) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        line = next(stream.iter_lines())
    event = json.loads(line.removeprefix("data: "))
    assert event["type"] == "jobs" and event["jobs"][0]["state"] == "done"


def test_deleting_faces_updates_the_alignments_file(extracted, tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(extracted, folder)
    project = project_file.load(folder)
    alignments = project.alignments("a")
    with client_for(folder) as client:
        listing = client.get("/api/faces/a", headers=AUTH).json()
        assert listing["faces"] == ["astronaut_0.png", "grace_hopper_0.png"]
        thumb = client.get("/api/faces/a/thumb", headers=AUTH,
                           params={"name": "astronaut_0.png"})
        assert thumb.headers["content-type"] == "image/jpeg"
        assert cv2.imdecode(np.frombuffer(thumb.content, np.uint8), cv2.IMREAD_COLOR).shape \
            == (64, 64, 3)
        outside = client.post("/api/faces/a/delete", headers=AUTH,
                              json={"names": ["../people/astronaut.png"]})
        assert outside.status_code == 400
        reply = client.post("/api/faces/a/delete", headers=AUTH,
                            json={"names": ["grace_hopper_0.png"]})
        assert reply.status_code == 200, reply.text
        result = reply.json()
        assert client.get("/api/faces/a", headers=AUTH).json()["faces"] == ["astronaut_0.png"]
    assert result["deleted"] == ["grace_hopper_0.png"]
    assert result["alignments"]["removed"] == ["grace_hopper_0.png"]
    data = alignments_file.load(alignments)
    assert len(data.frames["astronaut.png"].faces) == 1
    assert data.frames["grace_hopper.png"].faces == []
    assert alignments_file.backup_path(alignments).exists()
    assert (folder / "people" / "astronaut.png").exists()
    assert sorted(p.name for p in (folder / "faces" / "a").iterdir()) == ["astronaut_0.png"]


def test_refused_delete_changes_nothing(extracted, tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(extracted, folder)
    before = project_file.load(folder).alignments("a").read_bytes()
    with client_for(folder) as client:
        # Deleting every face would empty the alignments file: remove_faces refuses.
        reply = client.post("/api/faces/a/delete", headers=AUTH,
                            json={"names": ["astronaut_0.png", "grace_hopper_0.png"]})
    assert reply.status_code == 400 and "Nothing was changed" in reply.json()["error"]
    assert len(list((folder / "faces" / "a").glob("*.png"))) == 2
    assert project_file.load(folder).alignments("a").read_bytes() == before
    assert [p.name for p in (folder / "faces" / "a").iterdir() if p.name.startswith(".")] == []


def test_convert_preview_returns_the_swapped_frame(extracted, tmp_path):
    folder = tmp_path / "project"
    shutil.copytree(extracted, folder)
    make_original(folder / "model").save()  # untrained: its output still differs
    with client_for(folder) as client:
        frames = client.get("/api/convert/frames", headers=AUTH).json()["frames"]
        assert [(f["key"], f["faces"]) for f in frames] == [("astronaut.png", 1),
                                                            ("grace_hopper.png", 1)]
        original = client.get("/api/convert/frame/0", headers=AUTH)
        images = {}
        for erosion in (0, 40):
            reply = client.post("/api/convert/preview", headers=AUTH, json={
                "index": 0, "settings": {"mask": "components", "erosion": erosion}})
            assert reply.status_code == 200, reply.text
            assert reply.headers["content-type"] == "image/jpeg"
            images[erosion] = cv2.imdecode(np.frombuffer(reply.content, np.uint8),
                                           cv2.IMREAD_COLOR).astype(int)
        bad = client.post("/api/convert/preview", headers=AUTH,
                          json={"index": 0, "settings": {"mask": "no-such-mask"}})
    before = cv2.imdecode(np.frombuffer(original.content, np.uint8), cv2.IMREAD_COLOR)
    assert images[0].shape == before.shape == (256, 256, 3)
    def changed(one, other):
        return int((np.abs(one - other).max(axis=2) > 12).sum())

    assert changed(images[0], before) > 1000  # the face (about 100 x 100 px) was swapped
    assert changed(images[0][:40, :40], before[:40, :40]) == 0  # a corner was not
    # A stronger erosion shrinks the mask: the preview follows the setting.
    assert 100 < changed(images[40], before) < changed(images[0], before) - 100
    assert bad.status_code == 400 and "no-such-mask" in bad.json()["error"]


def test_other_hosts_need_the_token(tmp_path, capsys):
    from faceswap.cli.main import main

    assert main(["gui", str(tmp_path), "--host", "0.0.0.0", "--no-token"]) == 1
    assert "only with a loopback --host" in capsys.readouterr().err
    assert main(["gui", str(tmp_path), "--token", "short"]) == 1
    assert not (tmp_path / project_file.FILE_NAME).exists()


def test_job_options_are_what_the_library_takes(tmp_path):
    """Each job's options build the library's own options dataclass (as the worker does)."""
    import faceswap
    from faceswap.gui.options import job_options
    from faceswap.gui.worker import _options

    project = project_file.load(tmp_path)
    project.update({"source_a": "clips/alice.mp4", "source_b": "bob", "alignments_a":
                    "clips/alice_alignments.json", "convert": {"mask": "components",
                                                               "erosion": 5.0}})
    classes = {"extract": faceswap.ExtractOptions, "train": faceswap.TrainOptions,
               "convert": faceswap.ConvertOptions}
    built = {}
    for kind, side in (("extract", "a"), ("extract", "b"), ("train", "a"), ("convert", "a")):
        title, options = job_options(project, kind, side)
        if kind == "convert":
            options["mask_settings"] = faceswap.mask_settings(**options["mask_settings"])
        built[title] = _options(classes[kind], options)
    assert built["extract A"].alignments == tmp_path / "clips/alice_alignments.json"
    assert built["extract B"].alignments is None  # extract picks (and the job records) it
    assert built["extract B"].output_dir == tmp_path / "faces/b"
    assert built["train"].write_preview and built["train"].model_dir == tmp_path / "model"
    convert = built["convert"]
    assert convert.output == tmp_path / "converted/alice_swapped.mp4"
    assert convert.mask == "components" and convert.mask_settings.erosion == 5.0
    project.source_a = ""
    with pytest.raises(faceswap.FaceswapError, match="source"):
        job_options(project, "extract", "a")
