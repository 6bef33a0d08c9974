"""Test helpers shared across the suite: tiny models, generated faces and videos.

Imported as ``from fstest import ...`` (a module name no other test folder uses; importing
from ``conftest`` would pick whichever conftest.py pytest loaded first).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

# A width-reduced, 32 px Original: same topology, ~70k parameters.
TINY = {"input_size": 32, "base_filters": 8}
EXTRACT_SIZE = 96


def make_original(model_dir, config=None, **kwargs):
    from faceswap.plugins.train.model.original import Model

    model = Model(model_dir, {**TINY, **(config or {})}, **kwargs)
    model.build()
    return model


def batch(model, size: int = 2, seed: int = 0):
    """Random inputs and targets (faces + mask channels) for one train_on_batch."""
    rng = np.random.default_rng(seed)
    inputs = [rng.random((size, *shape[1:]), dtype=np.float32) for shape in model.input_shapes]
    channels = 3 + len(model.mask_channels)
    targets = []
    for out_shape in model.output_shapes:
        target = rng.random((size, *out_shape[1:3], channels), dtype=np.float32)
        targets.append(target)
    return inputs, targets


def train_steps(model, steps: int = 1, seed: int = 0):
    losses = []
    for step in range(steps):
        inputs, targets = batch(model, seed=seed + step)
        # train_on_batch returns [total, output losses...]; A's outputs come first.
        result = np.atleast_1d(model.model.train_on_batch(inputs, targets))
        per_output = result[1:] if result.size > 1 else result
        half = len(per_output) // 2
        losses.append(float(result[0]))
        model.state.increment()
        model.add_history(np.array([per_output[:half].sum(), per_output[half:].sum()]))
    return losses


def digest(folder: Path) -> dict[str, str]:
    """Hash of every file under ``folder``: to prove nothing was changed."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def run_python(code: str, env: dict[str, str] | None = None, timeout: int = 300):
    """Run ``code`` in a fresh interpreter (own backend / devices); return CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=full_env,
        timeout=timeout, cwd=REPO,
    )


def synthetic_frame(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic 'photo' (160 px) with a drawn face and its 68 landmarks in frame pixels."""
    from faceswap.lib.align.reference import MEAN_FACE

    angle = np.radians(rng.uniform(-15, 15))
    scale = rng.uniform(45, 60)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = (MEAN_FACE - 0.5) @ rot.T * scale + 80 + rng.uniform(-6, 6, 2)
    points += rng.normal(0, 0.6, points.shape)
    frame = np.empty((160, 160, 3), np.uint8)
    frame[:] = rng.integers(40, 200, 3)
    frame = cv2.add(frame, rng.integers(0, 25, frame.shape, dtype=np.uint8))
    skin = tuple(int(v) for v in rng.integers(90, 230, 3))
    cv2.fillConvexPoly(frame, cv2.convexHull(np.rint(points).astype(np.int32)), skin)
    for group in (range(36, 42), range(42, 48), range(48, 60)):
        hull = cv2.convexHull(np.rint(points[list(group)]).astype(np.int32))
        cv2.fillConvexPoly(frame, hull, (30, 30, 120))
    return frame, points


def write_extracted_faces(folder: Path, count: int, seed: int = 0, size: int = EXTRACT_SIZE,
                          prefix: str = "face") -> None:
    """Faces as `faceswap extract` writes them: head-centred PNGs with landmark metadata."""
    from faceswap.lib.align.aligned_face import AlignedFace
    from faceswap.lib.image import write_face_png

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for idx in range(count):
        frame, points = synthetic_frame(rng)
        aligned = AlignedFace.from_landmarks(points)
        face = aligned.crop(frame, size, "head")
        meta = {
            "format": "faceswap-face", "version": 1,
            "face": {"size": size, "centering": "head", "coverage": 1.0,
                     "aligned_landmarks": aligned.aligned_landmarks(size, "head").tolist()},
        }
        write_face_png(folder / f"{prefix}_{idx:03d}.png", face, meta)


def write_video(path: Path, frames: list[np.ndarray], fps: int | Fraction = 10,
                audio: bool = True) -> None:
    """An H.264 mp4 of ``frames`` (BGR uint8) timed exactly at ``fps`` (30000/1001 too), with a
    quiet AAC track when ``audio``."""
    import av

    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=fps)
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        video.options = {"crf": "12"}
        sound = container.add_stream("aac", rate=16000) if audio else None
        if sound is not None:
            sound.layout = "mono"
        for index, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = index, 1 / Fraction(fps)
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            samples = int(16000 * len(frames) / fps)
            tone = (0.1 * np.sin(np.arange(samples) / 16000 * 2 * np.pi * 440)).astype(np.float32)
            for start in range(0, samples, 1024):
                chunk = tone[start:start + 1024]
                frame = av.AudioFrame.from_ndarray(chunk[None], format="flt", layout="mono")
                frame.sample_rate = 16000
                frame.pts = start
                for packet in sound.encode(frame):
                    container.mux(packet)
            for packet in sound.encode():
                container.mux(packet)


def make_alignments(frames: dict[str, tuple[tuple[int, int], list[np.ndarray]]]):
    """An Alignments object for frames ``{key: ((height, width), [landmarks, ...])}``."""
    from faceswap.lib.align.aligned_face import AlignedFace
    from faceswap.lib.alignments import Alignments, Face, Frame

    table = {}
    for key, (dims, faces) in frames.items():
        entries = []
        for index, landmarks in enumerate(faces):
            aligned = AlignedFace.from_landmarks(landmarks)
            x, y = landmarks.min(axis=0)
            w, h = landmarks.max(axis=0) - landmarks.min(axis=0)
            entries.append(Face(
                index=index, box=(int(x), int(y), int(w), int(h)), score=1.0,
                landmarks=landmarks.astype(np.float32), matrix=aligned.legacy,
                pose={"yaw": aligned.pose.yaw, "pitch": aligned.pose.pitch,
                      "roll": aligned.pose.roll}))
        table[key] = Frame(dims=dims, faces=entries)
    return Alignments(frames=table)
