"""The FastAPI app behind `faceswap gui`: token auth, the JSON API, progress events, the page.

Every request needs the access token: ``?token=...`` (the link `faceswap gui` prints; the page
then keeps it in a cookie), an ``Authorization: Bearer ...`` header or that cookie. Anything
else gets 401, the page and its assets included. The page (``static/``) is plain HTML, CSS
and JavaScript shipped in the package: nothing is loaded from the internet.

Jobs (extract, train, convert) go through ``jobs.JobQueue``, which runs the library functions
the CLI runs in a worker process. Progress reaches the page as server-sent events
(``/api/events``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import threading
from collections.abc import AsyncIterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles

from faceswap.gui import project as project_file
from faceswap.gui.convert_preview import ConvertPreview, frames_with_faces, read_frame
from faceswap.gui.faces import delete_faces, face_path, list_faces, thumbnail
from faceswap.gui.jobs import Job, JobQueue
from faceswap.lib.errors import FaceswapError

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
COOKIE = "faceswap_token"
HISTORY_POINTS = 2000  # the loss graph needs no more points than a screen has pixels
KEEPALIVE = 15.0  # seconds between SSE comments, so proxies keep the stream open


def new_token() -> str:
    return secrets.token_hex(24)


class GuiState:
    """What the endpoints share: the project, the job queue and the convert preview."""

    def __init__(self, folder: Path, queue: JobQueue | None = None) -> None:
        self.lock = threading.RLock()
        self.project = project_file.load(folder)
        self.queue = queue or JobQueue(self.project.folder, on_finish=self.job_finished)
        if self.queue.on_finish is None:
            self.queue.on_finish = self.job_finished
        self.preview = ConvertPreview()

    def job_finished(self, job: Job) -> None:
        """Remember where extract wrote the alignments file (read-only inputs move it)."""
        side = job.meta.get("side")
        if job.kind == "extract" and job.state == "done" and side in ("a", "b") and job.result:
            with self.lock:
                setattr(self.project, f"alignments_{side}",
                        self.project.relative(job.result["alignments_path"]))
                self.project.save()


def job_options(project: project_file.Project, kind: str, side: str = "a") -> tuple[str, dict]:
    """The title and the library options of a ``kind`` job built from the project."""
    if kind == "extract":
        source = project.source(side)
        if source is None:
            raise FaceswapError(f"Pick person {side.upper()}'s source (a video, an image folder "
                                "or an image) in the project first.")
        settings = project.extract
        options = {"input": str(source), "output_dir": str(project.faces(side)),
                   "size": int(settings.get("size", 256)),
                   "every_n": int(settings.get("every_n", 1))}
        recorded = getattr(project, f"alignments_{side}")
        if recorded:
            options["alignments"] = str(project.resolve(recorded))
        return f"extract {side.upper()}", options
    if kind == "train":
        settings = project.train
        return "train", {
            "input_a": str(project.faces("a")), "input_b": str(project.faces("b")),
            "model_dir": str(project.resolve(project.model_dir)), "trainer": project.trainer,
            "batch_size": int(settings.get("batch_size", 16)),
            "iterations": int(settings.get("iterations", 10_000)),
            "save_interval": int(settings.get("save_interval", 250)),
            "write_preview": True, "config": dict(settings.get("config", {})),
        }
    if kind == "convert":
        source = project.source("a")
        if source is None:
            raise FaceswapError("Pick person A's source in the project first.")
        settings = project.convert
        from faceswap.lib.video import is_video_file

        output = settings.get("output") or (
            f"converted/{source.stem}_swapped{source.suffix}" if is_video_file(source)
            else f"converted/{source.stem}")
        alignments = project.alignments("a")
        return "convert", {
            "input": str(source), "output": str(project.resolve(output)),
            "model_dir": str(project.resolve(project.model_dir)),
            "alignments": str(alignments) if alignments else None,
            "mask": settings.get("mask", "extended"),
            "mask_settings": {"type": settings.get("blur", "normalized"),
                              "kernel_size": int(settings.get("kernel_size", 3)),
                              "erosion": float(settings.get("erosion", 0.0))},
            "color": settings.get("color", "avg-color"),
            "sharpen": settings.get("sharpen", "none"),
            "sharpen_amount": float(settings.get("sharpen_amount", 150.0)),
        }
    raise FaceswapError(f"Unknown job kind '{kind}'; choose extract, train or convert.")


def _choices() -> dict[str, Any]:
    from faceswap.lib import registry
    from faceswap.lib.align.masks import CONVERT_MASK_TYPES
    from faceswap.stages.convert.blend import BLUR_TYPES, SHARPEN_METHODS

    return {"masks": list(CONVERT_MASK_TYPES), "colors": registry.list_plugins("color"),
            "blurs": list(BLUR_TYPES), "sharpen": list(SHARPEN_METHODS),
            "trainers": registry.list_plugins("model")}


def model_info(project: project_file.Project) -> dict[str, Any]:
    """The model folder's state (iterations, sessions) and every option with its value."""
    from faceswap.lib import registry
    from faceswap.plugins.train.model import TRAIN_OPTIONS

    model_dir = project.resolve(project.model_dir)
    stored: dict[str, Any] = {}
    iterations = sessions = 0
    name = project.trainer
    states = sorted(model_dir.glob("*_state.json")) if model_dir.is_dir() else []
    if len(states) == 1:
        with contextlib.suppress(OSError, ValueError):
            state = json.loads(states[0].read_text(encoding="utf-8"))
            name = str(state.get("name", name))
            stored = dict(state.get("config") or {})
            iterations = int(state.get("iterations", 0))
            sessions = len(state.get("sessions") or {})
    plugin = registry.load_plugin("model", name)
    definitions = {**TRAIN_OPTIONS, **getattr(plugin.Model, "options", {})}
    requested = project.train.get("config", {})
    options = []
    for key, option in definitions.items():
        value = stored.get(key, requested.get(key, option.default))
        options.append({"name": key, "value": value, "default": option.default,
                        "help": option.help, "fixed": option.fixed,
                        "choices": list(option.choices) if option.choices else None,
                        "min": option.min, "max": option.max, "stored": key in stored})
    preview = _preview_path(project)
    return {"trainer": name, "exists": bool(stored), "iterations": iterations,
            "sessions": sessions, "folder": str(model_dir), "options": options,
            "preview": preview.stat().st_mtime if preview.is_file() else None}


def loss_history(project: project_file.Project) -> dict[str, Any]:
    """Loss A and B of every iteration of every session, thinned to HISTORY_POINTS."""
    import numpy as np

    from faceswap.stages.train import logs

    model_dir = project.resolve(project.model_dir)
    logs_dirs = sorted(model_dir.glob("*_logs")) if model_dir.is_dir() else []
    if not logs_dirs:
        return {"iterations": [], "loss_a": [], "loss_b": []}
    steps_a, loss_a = logs.loss_history(logs_dirs[0], "loss_a")
    steps_b, loss_b = logs.loss_history(logs_dirs[0], "loss_b")
    count = min(len(steps_a), len(steps_b))
    pick = np.unique(np.linspace(0, count - 1, min(count, HISTORY_POINTS)).astype(int)) if count \
        else np.array([], int)
    return {"iterations": np.asarray(steps_a)[pick].tolist(),
            "loss_a": np.asarray(loss_a)[pick].tolist(),
            "loss_b": np.asarray(loss_b)[pick].tolist()}


def _preview_path(project: project_file.Project) -> Path:
    return project.resolve(project.model_dir) / "training_preview.png"


def create_app(folder: str | Path, token: str | None, queue: JobQueue | None = None) -> FastAPI:
    """The app for the project in ``folder``. ``token`` None turns auth off (loopback only:
    `faceswap gui` refuses it with another host)."""
    state = GuiState(Path(folder), queue)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        # A running train job saves before the server goes; the worker would be told anyway.
        await asyncio.to_thread(state.queue.close)

    app = FastAPI(title="faceswap", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=lifespan)
    app.state.gui = state

    @app.middleware("http")
    async def require_token(request: Request, call_next):
        if token is None:
            return await call_next(request)
        header = request.headers.get("authorization", "")
        given = (request.query_params.get("token")
                 or (header[7:] if header.lower().startswith("bearer ") else None)
                 or request.cookies.get(COOKIE))
        if not given or not secrets.compare_digest(given.encode(), token.encode()):
            return Response("401: open the link with the token that `faceswap gui` printed.\n",
                            status_code=401, media_type="text/plain")
        response = await call_next(request)
        if request.query_params.get("token"):
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return response

    @app.exception_handler(FaceswapError)
    async def faceswap_error(request: Request, err: FaceswapError):
        return JSONResponse({"error": str(err)}, status_code=400)

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    # --- project ------------------------------------------------------------------------------

    @app.get("/api/project")
    def get_project() -> dict:
        with state.lock:
            return {**state.project.to_json(), "folder": str(state.project.folder)}

    @app.put("/api/project")
    def put_project(changes: dict[str, Any]) -> dict:
        with state.lock:
            changes = {k: v for k, v in changes.items() if k != "folder"}
            before = state.project.to_json()
            try:
                state.project.update(changes)
            except FaceswapError:
                state.project = project_file.Project(state.project.folder)
                state.project.update(before)
                raise
            state.project.save()
            return {**state.project.to_json(), "folder": str(state.project.folder)}

    @app.get("/api/choices")
    def choices() -> dict:
        return _choices()

    @app.get("/api/browse")
    def browse(path: str = "") -> dict:
        """Folders and media files under ``path`` (relative to the project), for the pickers."""
        from faceswap.lib.image import is_image_file
        from faceswap.lib.video import is_video_file

        folder = state.project.resolve(path or ".").resolve()
        if not folder.is_dir():
            raise FaceswapError(f"'{folder}' is not a folder.")
        entries = []
        for child in sorted(folder.iterdir(), key=lambda p: (not p.is_dir(), p.name.lower())):
            if child.name.startswith("."):
                continue
            kind = ("folder" if child.is_dir() else "video" if is_video_file(child)
                    else "image" if is_image_file(child) else None)
            if kind:
                entries.append({"name": child.name, "path": str(child), "kind": kind})
        return {"path": str(folder), "parent": str(folder.parent), "entries": entries}

    # --- jobs ---------------------------------------------------------------------------------

    @app.get("/api/jobs")
    def get_jobs() -> list:
        return state.queue.list()

    @app.post("/api/jobs")
    def post_job(request: dict[str, Any]) -> dict:
        with state.lock:
            title, options = job_options(state.project, str(request.get("kind", "")),
                                         str(request.get("side", "a")).lower())
        return state.queue.submit(str(request["kind"]), options, title,
                                  {"side": str(request.get("side", "a")).lower()}).public()

    @app.post("/api/jobs/{job_id}/stop")
    def stop_job(job_id: str) -> dict:
        try:
            return state.queue.stop(job_id).public()
        except KeyError:
            raise HTTPException(404, f"No job {job_id}") from None

    @app.post("/api/jobs/{job_id}/retry")
    def retry_job(job_id: str) -> dict:
        try:
            return state.queue.retry(job_id).public()
        except KeyError:
            raise HTTPException(404, f"No job {job_id}") from None

    @app.get("/api/events")
    async def events(request: Request) -> StreamingResponse:
        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue = asyncio.Queue()

        def listener(event: dict) -> None:
            loop.call_soon_threadsafe(inbox.put_nowait, event)

        state.queue.subscribe(listener)

        async def stream() -> AsyncIterator[str]:
            try:
                yield f"data: {json.dumps({'type': 'jobs', 'jobs': state.queue.list()})}\n\n"
                preview = _preview_path(state.project)
                seen = preview.stat().st_mtime if preview.exists() else 0.0
                while not await request.is_disconnected():
                    try:
                        event = await asyncio.wait_for(inbox.get(), KEEPALIVE)
                    except TimeoutError:
                        yield ": keepalive\n\n"
                        continue
                    yield f"data: {json.dumps(event, default=str)}\n\n"
                    # A train job writes the preview at each save: tell the page to reload it.
                    if event.get("job", {}).get("kind") == "train":
                        mtime = preview.stat().st_mtime if preview.exists() else 0.0
                        if mtime != seen:
                            seen = mtime
                            yield f"data: {json.dumps({'type': 'preview', 'mtime': mtime})}\n\n"
            finally:
                state.queue.unsubscribe(listener)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-store"})

    # --- train --------------------------------------------------------------------------------

    @app.get("/api/train/preview")
    def train_preview() -> FileResponse:
        path = _preview_path(state.project)
        if not path.is_file():
            raise HTTPException(404, "No preview yet: it is written at each save of a train "
                                "job.")
        return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-store"})

    @app.get("/api/train/history")
    def train_history() -> dict:
        return loss_history(state.project)

    @app.get("/api/train/model")
    def train_model() -> dict:
        return model_info(state.project)

    # --- faces --------------------------------------------------------------------------------

    @app.get("/api/faces/{side}")
    def faces(side: str) -> dict:
        folder = state.project.faces(side)
        alignments = state.project.alignments(side)
        return {"folder": str(folder), "alignments": str(alignments) if alignments else None,
                "faces": list_faces(folder)}

    @app.get("/api/faces/{side}/thumb")
    def face_thumb(side: str, name: str) -> Response:
        path = face_path(state.project.faces(side), name)
        return Response(thumbnail(path), media_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})

    @app.post("/api/faces/{side}/delete")
    def face_delete(side: str, request: dict[str, Any]) -> dict:
        names = request.get("names")
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise FaceswapError("'names' must be a list of face file names.")
        with state.lock:
            result = delete_faces(state.project.faces(side), names,
                                  state.project.alignments(side))
        return asdict(result)

    # --- convert ------------------------------------------------------------------------------

    def _source_a() -> Path:
        source = state.project.source("a")
        if source is None:
            raise FaceswapError("Pick person A's source in the project first.")
        return source

    @app.get("/api/convert/frames")
    def convert_frames() -> dict:
        frames = frames_with_faces(_source_a(), state.project.alignments("a"))
        return {"frames": [asdict(f) for f in frames]}

    @app.get("/api/convert/frame/{index}")
    def convert_frame(index: int) -> Response:
        from faceswap.lib.image import encode_image

        _, frame = read_frame(_source_a(), index)
        return Response(encode_image(frame, ".jpg", quality=90), media_type="image/jpeg")

    @app.post("/api/convert/preview")
    def convert_preview(request: dict[str, Any]) -> Response:
        settings = {**state.project.convert, **(request.get("settings") or {})}
        image = state.preview.render(
            _source_a(), int(request.get("index", 0)),
            state.project.resolve(state.project.model_dir), state.project.alignments("a"),
            settings)
        return Response(image, media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    return app
