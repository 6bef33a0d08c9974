"""`faceswap gui`: serve the web GUI for a project folder."""

from __future__ import annotations

import argparse
import ipaddress
from pathlib import Path

HELP = "a web app for the whole workflow (extract, train, convert) in the browser"
DESCRIPTION = """\
Serve faceswap's web GUI for the project in PROJECT_DIR (default: the current folder) and print
the link to open, with a random access token (like Jupyter): every request without the token
gets 401. Jobs run one at a time in the background through the same library functions as the
CLI; they go on when the browser closes, and the job list (faceswap_jobs.json) says which jobs a
killed server interrupted. The page loads nothing from the internet.

On a remote GPU box, either forward the port (ssh -L 8765:127.0.0.1:8765 gpu-box) or serve on
every interface with --host 0.0.0.0 (the token is then required; use it on trusted networks
only: the link is plain HTTP).

Example:
  faceswap gui my_project
  faceswap gui my_project --host 0.0.0.0 --port 8765
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("project", nargs="?", type=Path, default=Path("."),
                        help="Project folder (created if missing; default: current folder).")
    parser.add_argument("--host", default="127.0.0.1",
                        help="Interface to listen on (default 127.0.0.1: this machine only).")
    parser.add_argument("-p", "--port", type=int, default=8765, help="Port (default 8765).")
    parser.add_argument("--token",
                        help="Use this access token instead of a random one (e.g. from a "
                        "script).")
    parser.add_argument("--no-token", action="store_true",
                        help="No access token (only with a loopback --host).")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    from faceswap.lib.errors import FaceswapError

    if args.no_token and not _loopback(args.host):
        raise FaceswapError(f"--no-token serves anyone who reaches {args.host}: it is allowed "
                            "only with a loopback --host (127.0.0.1). Drop --no-token and open "
                            "the link with the token.")
    if args.token is not None and len(args.token) < 16:
        raise FaceswapError("--token must be at least 16 characters (anyone who can guess it "
                            "can run jobs and delete faces).")
    import uvicorn

    from faceswap.gui.app import create_app, new_token

    token = None if args.no_token else (args.token or new_token())
    args.project.mkdir(parents=True, exist_ok=True)
    app = create_app(args.project, token)
    shown = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    link = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"faceswap gui: project {args.project.resolve()}\nOpen {link}", flush=True)
    if args.host in ("0.0.0.0", "::"):
        print("Listening on every interface: from another machine use this machine's address "
              "in the link.", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
