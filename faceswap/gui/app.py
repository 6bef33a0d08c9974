"""The FastAPI app behind `faceswap gui`: token auth, the JSON API, progress events, the page.

Every request needs the access token: ``?token=...`` (the link `faceswap gui` prints; the page
then keeps it in a cookie), an ``Authorization: Bearer ...`` header or that cookie. Anything
else gets 401, the page and its assets included. The page (``static/``) is plain HTML, CSS
and JavaScript shipped in the package: nothing is loaded from the internet.

The routes live in ``routes/``, one router per view; they share one ``state.GuiState`` kept on
``app.state.gui``. Jobs (extract, train, convert) go through ``jobs.JobQueue``, which runs the
library functions the CLI runs in a worker process. Progress reaches the page as server-sent
events (``/api/events``).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from faceswap.gui.jobs import JobQueue
from faceswap.gui.routes import ROUTERS
from faceswap.gui.routes.page import STATIC
from faceswap.gui.state import GuiState
from faceswap.lib.errors import FaceswapError

COOKIE = "faceswap_token"


def new_token() -> str:
    return secrets.token_hex(24)


async def require_token(request: Request,
                        call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """401 for any request without the app's token; a token given in the link becomes a
    cookie, so the page's own requests need not carry it."""
    token = request.app.state.gui.token
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


async def faceswap_error(request: Request, err: Exception) -> JSONResponse:
    return JSONResponse({"error": str(err)}, status_code=400)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # A running train job saves before the server goes; the worker would be told anyway.
    await asyncio.to_thread(app.state.gui.queue.close)


def create_app(folder: str | Path, token: str | None, queue: JobQueue | None = None) -> FastAPI:
    """The app for the project in ``folder``. ``token`` None turns auth off (loopback only:
    `faceswap gui` refuses it with another host)."""
    app = FastAPI(title="faceswap", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=_lifespan)
    app.state.gui = GuiState.open(Path(folder), token, queue)
    app.middleware("http")(require_token)
    app.add_exception_handler(FaceswapError, faceswap_error)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
