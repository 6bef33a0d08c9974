"""How closely mesh-68 agrees with dlib-68 on real faces, and what each costs per face.

    python bench/mesh_68_accuracy.py            # held-out clips: error and ms/face
    python bench/mesh_68_accuracy.py --derive   # recompute MESH_TO_68 from the other clips

Faces are found by dlib-hog in every 10th frame of the shared clips. The error of a point is
its distance to dlib-68's point divided by the face's inter-ocular distance (eye centre to eye
centre, from dlib-68), averaged over faces; one result line gives it per region. ``--derive``
picks, for each of the 68 points, the mesh vertex with the lowest mean error over the
derivation clips (never the held-out ones) and prints the table for the plugin.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from faceswap.lib.registry import load_plugin  # noqa: E402
from faceswap.lib.video import frames  # noqa: E402

CLIPS = REPO.parent / "shared" / "face-data" / "clips"
DERIVE = ("livePortrait_d3.mp4", "livePortrait_d6.mp4", "livePortrait_d9.mp4",
          "livePortrait_d10.mp4")
HELD_OUT = ("livePortrait_d11.mp4", "livePortrait_d12.mp4", "livePortrait_d20.mp4")
REGIONS = {"jaw": range(0, 17), "brows": range(17, 27), "nose": range(27, 36),
           "eyes": range(36, 48), "mouth": range(48, 68)}


def collect(clips, every_n: int = 10):
    """(dlib points, mesh vertices, dlib seconds, mesh seconds) over the faces of ``clips``."""
    detector = load_plugin("detect", "dlib-hog")
    dlib_68 = load_plugin("align", "dlib-68")
    mesh_68 = load_plugin("align", "mesh-68")
    dlib_points, meshes, dlib_time, mesh_time = [], [], 0.0, 0.0
    for name in clips:
        for _, _, image in frames(CLIPS / name, every_n=every_n):
            for detection in detector.detect(image):
                start = time.perf_counter()
                dlib_points.append(dlib_68.landmarks(image, detection.box))
                middle = time.perf_counter()
                meshes.append(mesh_68.mesh(image, detection.box))
                dlib_time += middle - start
                mesh_time += time.perf_counter() - middle
    return np.array(dlib_points), np.array(meshes), dlib_time, mesh_time


def inter_ocular(points: np.ndarray) -> np.ndarray:
    return np.linalg.norm(points[:, 36:42].mean(1) - points[:, 42:48].mean(1), axis=1)


def derive(dlib_points: np.ndarray, meshes: np.ndarray) -> tuple[int, ...]:
    iod = inter_ocular(dlib_points)[:, None]
    # errors[f, v, p]: distance of mesh vertex v to dlib point p on face f, in IODs
    errors = np.linalg.norm(meshes[:, :, None] - dlib_points[:, None], axis=-1) / iod[..., None]
    return tuple(int(v) for v in errors.mean(0).argmin(0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--derive", action="store_true", help="print a new MESH_TO_68")
    parser.add_argument("--every-n", type=int, default=10)
    args = parser.parse_args()
    if args.derive:
        dlib_points, meshes, _, _ = collect(DERIVE, args.every_n)
        print(f"MESH_TO_68 = {derive(dlib_points, meshes)}  # from {len(meshes)} faces")
        return
    from faceswap.plugins.extract.align.mesh_68 import MESH_TO_68

    load_plugin("align", "mesh-68").landmarks(next(frames(CLIPS / HELD_OUT[0]))[2],
                                              (100, 100, 200, 200))  # load the model
    dlib_points, meshes, dlib_time, mesh_time = collect(HELD_OUT, args.every_n)
    mapped = meshes[:, list(MESH_TO_68)]
    error = np.linalg.norm(mapped - dlib_points, axis=-1) / inter_ocular(dlib_points)[:, None]
    regions = " ".join(f"{name}={error[:, idx].mean():.3f}" for name, idx in REGIONS.items())
    count = len(dlib_points)
    print(f"mesh_68_accuracy: mean error {error.mean():.3f} IOD vs dlib-68 ({regions}) over "
          f"{count} held-out faces; mesh-68 {1000 * mesh_time / count:.1f} ms/face, dlib-68 "
          f"{1000 * dlib_time / count:.1f} ms/face")


if __name__ == "__main__":
    main()
