"""The GUI's HTTP routes, one ``APIRouter`` per view; ``app.create_app`` includes them all.

- ``page.py``: the page itself (``/``; its assets are mounted at ``/static``).
- ``project.py``: the project file, the choices for its selects, the file browser.
- ``jobs.py``: the job list, submit / stop / retry, and the server-sent events.
- ``train.py``: the train view's preview image, loss history and model options.
- ``faces.py``: the faces view's listing, thumbnails and deletion.
- ``convert.py``: the convert view's frames and live preview.

Routes take the shared ``GuiState`` through the ``state.State`` dependency.
"""

from __future__ import annotations

from fastapi import APIRouter

from faceswap.gui.routes import convert, faces, jobs, page, project, train

ROUTERS: tuple[APIRouter, ...] = (page.router, project.router, jobs.router, train.router,
                                  faces.router, convert.router)
