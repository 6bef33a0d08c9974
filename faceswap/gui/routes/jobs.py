"""The jobs view: the job list, submit / stop / retry, and the server-sent events stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import StreamingResponse

from faceswap.gui.options import job_options
from faceswap.gui.state import GuiState, State

KEEPALIVE = 15.0  # seconds between SSE comments, so proxies keep the stream open

router = APIRouter()


@router.get("/api/jobs")
def get_jobs(state: State) -> list:
    return state.queue.list()


@router.post("/api/jobs")
def post_job(request: dict[str, Any], state: State) -> dict:
    side = str(request.get("side", "a")).lower()
    with state.lock:
        title, options = job_options(state.project, str(request.get("kind", "")), side)
    return state.queue.submit(str(request["kind"]), options, title, {"side": side}).public()


@router.post("/api/jobs/{job_id}/stop")
def stop_job(job_id: str, state: State) -> dict:
    try:
        return state.queue.stop(job_id).public()
    except KeyError:
        raise HTTPException(404, f"No job {job_id}") from None


@router.post("/api/jobs/{job_id}/retry")
def retry_job(job_id: str, state: State) -> dict:
    try:
        return state.queue.retry(job_id).public()
    except KeyError:
        raise HTTPException(404, f"No job {job_id}") from None


def _data(event: dict[str, Any]) -> str:
    return f"data: {json.dumps(event, default=str)}\n\n"


async def _stream(state: GuiState, request: Request) -> AsyncIterator[str]:
    """The job list, then every job event as it comes, until the page goes away."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()

    def listener(event: dict) -> None:
        # The queue calls listeners from its own threads.
        loop.call_soon_threadsafe(inbox.put_nowait, event)

    state.queue.subscribe(listener)
    try:
        yield _data({"type": "jobs", "jobs": state.queue.list()})
        preview = state.project.train_preview()
        seen = preview.stat().st_mtime if preview.exists() else 0.0
        while not await request.is_disconnected():
            try:
                event = await asyncio.wait_for(inbox.get(), KEEPALIVE)
            except TimeoutError:
                yield ": keepalive\n\n"
                continue
            yield _data(event)
            # A train job writes the preview at each save: tell the page to reload it.
            if event.get("job", {}).get("kind") == "train":
                mtime = preview.stat().st_mtime if preview.exists() else 0.0
                if mtime != seen:
                    seen = mtime
                    yield _data({"type": "preview", "mtime": mtime})
    finally:
        state.queue.unsubscribe(listener)


@router.get("/api/events")
async def events(request: Request, state: State) -> StreamingResponse:
    return StreamingResponse(_stream(state, request), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store"})
