"""`faceswap gui`: a local web app over the same library functions as the CLI.

- ``project.py``: the project file (sources A/B, face folders, model folder, settings whose
  defaults are the library's options dataclasses' own).
- ``options.py``: the project's settings turned into a job's library options.
- ``jobs.py``: the job queue: one job at a time in a worker process, its list kept on disk.
- ``worker.py``: the worker process: runs one extract/train/convert and reports progress.
- ``faces.py``, ``convert_preview.py``: the faces view's file work, the convert view's preview.
- ``state.py``: what the routes share (project, queue, preview, token), kept on the app.
- ``routes/``: one FastAPI router per view (page, project, jobs and events, train, faces,
  convert).
- ``app.py``: ``create_app`` wires token auth, the routers and the static files together.
- ``static/``: the page (plain HTML/CSS/JS, nothing loaded from the internet).
"""
