"""`faceswap gui`: a local web app over the same library functions as the CLI.

- ``project.py``: the project file (sources A/B, face folders, model folder, convert settings).
- ``jobs.py``: the job queue: one job at a time in a worker process, its list kept on disk.
- ``worker.py``: the worker process: runs one extract/train/convert and reports progress.
- ``app.py``: the FastAPI app (token auth, JSON API, server-sent events, static frontend).
- ``static/``: the page (plain HTML/CSS/JS, nothing loaded from the internet).
"""
