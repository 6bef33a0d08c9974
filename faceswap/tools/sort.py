"""Sort a folder of aligned faces: by identity, sharpness, size, pose or colour.

Cleaning a face set means finding the faces that do not belong: another person, a blurred
frame, a profile the model will never learn. Sorting puts them together, either by renaming the
files in order (``00001_<name>.png``, so any file browser shows them in that order) or by moving
them into one sub-folder per group, where a whole group can be looked at and deleted at once.

Scores come from the faceswap metadata that extract writes into each face (pose, box, aligned
landmarks, identity embedding when extracted with ``-f``); identity embeddings that are not
stored are computed with dlib. When ``alignments`` is given, each moved or renamed face's
``file`` entry there follows it, so ``faceswap alignments remove-faces`` still tells deleted
faces from sorted ones.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib import atomic
from faceswap.lib.errors import FaceswapError
from faceswap.lib.identity import IDENTITY_NAME, IDENTITY_THRESHOLD, face_embedding
from faceswap.lib.image import list_images, read_face_metadata, read_image

logger = logging.getLogger(__name__)

SORT_METHODS = ("identity", "blur", "size", "yaw", "pitch", "roll", "hist")
_ANGLES = ("yaw", "pitch", "roll")
_RANK = re.compile(r"^\d{5}_")  # the prefix a previous sort put on a name
_HIST_BINS = 8  # per channel: coarse enough that lighting noise does not split a person


@dataclass
class SortOptions:
    """Everything `faceswap sort` takes (the CLI flag in brackets)."""

    input: str | Path  # a folder of aligned faces (-i)
    method: str = "identity"  # -s, one of SORT_METHODS
    group_by: str | None = None  # -g: sub-folders per group instead of renaming in order
    output: str | Path | None = None  # -o (default: the input folder itself)
    keep: bool = False  # -k: copy the faces, leave the originals where they are
    references: Sequence[str | Path] = ()  # -r: photos of the person to sort by (identity)
    bins: int = 5  # -b: groups for blur, size, pose and hist
    threshold: float = IDENTITY_THRESHOLD  # -t: identity distance that still is one person
    alignments: str | Path | None = None  # -al: keep this file's face names in step


@dataclass
class SortResult:
    files: list[Path]  # every face's new path, in sorted order
    groups: dict[str, int] = field(default_factory=dict)  # group folder -> faces (with -g)
    alignments_updated: int = 0  # faces whose name the alignments file now follows
    seconds: float = 0.0


@dataclass
class _Face:
    path: Path
    metadata: dict[str, Any] | None  # faceswap metadata, None for a plain crop
    image: np.ndarray | None = None

    @property
    def face(self) -> dict[str, Any]:
        return (self.metadata or {}).get("face") or {}

    def load(self) -> np.ndarray:
        if self.image is None:
            self.image = read_image(self.path)
        return self.image

    def aligned_landmarks(self) -> np.ndarray | None:
        points = self.face.get("aligned_landmarks")
        points = None if points is None else np.asarray(points, dtype=np.float64)
        return points if points is not None and points.shape == (68, 2) else None


# --- scores: pure functions of one face --------------------------------------------------------

def face_region(shape: tuple[int, ...], landmarks: np.ndarray | None) -> np.ndarray:
    """Boolean mask of the face inside an aligned image (the hull of its landmarks).

    Without landmarks the central half of the image: aligned crops are face-centred.
    """
    mask = np.zeros(shape[:2], np.uint8)
    if landmarks is None:
        h, w = shape[:2]
        mask[h // 4:h - h // 4, w // 4:w - w // 4] = 1
    else:
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(landmarks).astype(np.int32)), 1)
    return mask.astype(bool)


def sharpness(image: np.ndarray, region: np.ndarray) -> float:
    """Variance of the Laplacian over the face: high for sharp faces, low for blurred ones."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    laplacian = cv2.Laplacian(grey.astype(np.float64), cv2.CV_64F)
    return float(laplacian[region].var())


def colour_histogram(image: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Normalised 3-D BGR histogram of the face (sums to 1)."""
    hist = cv2.calcHist([image], [0, 1, 2], region.astype(np.uint8), [_HIST_BINS] * 3,
                        [0, 256] * 3).ravel()
    return hist / max(float(hist.sum()), 1.0)


def histogram_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Hellinger distance of two normalised histograms (0 same colours, 1 disjoint)."""
    return float(np.sqrt(max(0.0, 1.0 - np.sum(np.sqrt(a * b)))))


def _need_metadata(face: _Face, method: str) -> dict[str, Any]:
    if face.metadata is None:
        raise FaceswapError(
            f"'{face.path.name}' has no faceswap metadata, and sorting by {method} reads it. "
            "Sort faces written by `faceswap extract`, or use -s blur / -s hist, which work on "
            "any face crop."
        )
    return face.face


def _scalar(face: _Face, method: str) -> float:
    if method == "blur":
        image = face.load()
        return sharpness(image, face_region(image.shape, face.aligned_landmarks()))
    meta = _need_metadata(face, method)
    if method == "size":
        _, _, w, h = meta["box"]
        return float(np.sqrt(w * h))
    return float(meta["pose"][method])


def _embedding(face: _Face) -> np.ndarray:
    stored = face.face.get("identity", {}).get(IDENTITY_NAME)
    if stored is not None:
        return np.asarray(stored, dtype=np.float64)
    landmarks = face.aligned_landmarks()
    if landmarks is None:
        _need_metadata(face, "identity")
        raise FaceswapError(f"'{face.path.name}' has no landmarks in its metadata; extract it "
                            "again with `faceswap extract`.")
    low, high = landmarks.min(axis=0), landmarks.max(axis=0)
    box = (int(low[0]), int(low[1]), int(high[0] - low[0]) + 1, int(high[1] - low[1]) + 1)
    return face_embedding(face.load(), box, landmarks)


# --- ordering and grouping ---------------------------------------------------------------------

def chain_order(features: np.ndarray, distance: Callable[[np.ndarray, np.ndarray], float]
                ) -> list[int]:
    """Indices in nearest-neighbour order: each face next to the one most like it.

    Starts from the face closest to the mean, so the most typical faces come first and the odd
    ones drift to the end.
    """
    count = len(features)
    if count == 0:
        return []
    mean = features.mean(axis=0)
    current = int(np.argmin([distance(f, mean) for f in features]))
    order, left = [current], set(range(count)) - {current}
    while left:
        current = min(left, key=lambda i: distance(features[current], features[i]))
        order.append(current)
        left.remove(current)
    return order


def identity_clusters(embeddings: np.ndarray, threshold: float) -> np.ndarray:
    """Cluster label per face (0 = the largest cluster): average linkage cut at ``threshold``.

    Average linkage, unlike single linkage, does not let a chain of in-between faces (blurred,
    half-turned) join two people.
    """
    if len(embeddings) < 2:
        return np.zeros(len(embeddings), dtype=int)
    from scipy.cluster.hierarchy import fcluster, linkage

    labels = fcluster(linkage(embeddings, method="average"), t=threshold, criterion="distance")
    sizes = {label: int(np.sum(labels == label)) for label in set(labels)}
    ranked = sorted(sizes, key=lambda label: (-sizes[label], int(np.argmax(labels == label))))
    return np.array([ranked.index(label) for label in labels])


def value_bins(values: np.ndarray, bins: int, equal_width: bool) -> tuple[np.ndarray, list[str]]:
    """Bin index per value and a label per bin (``<low>_to_<high>``).

    Angles use equal-width bins (a yaw range means something); blur and size equal-count bins
    (their scales differ from one face set to the next).
    """
    bins = max(1, min(bins, len(values)))
    if equal_width:
        edges = np.linspace(values.min(), values.max(), bins + 1)
    else:
        edges = np.quantile(values, np.linspace(0, 1, bins + 1))
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    # Rounded outwards, so every value in a bin lies inside its label's range.
    labels = [f"{np.floor(edges[i] * 10) / 10:g}_to_{np.ceil(edges[i + 1] * 10) / 10:g}"
              for i in range(bins)]
    return index, labels


@dataclass
class _Plan:
    order: list[int]  # face indices, sorted
    groups: list[str] | None  # group folder per face (indexed like the faces), or None


def _plan(faces: list[_Face], options: SortOptions, refs: list[np.ndarray],
          tick: Callable[[], None]) -> _Plan:
    needed = {options.method, options.group_by} - {None}
    scalars: dict[str, np.ndarray] = {}
    embeddings = histograms = None
    for method in needed:
        if method == "identity":
            rows = []
            for face in faces:
                rows.append(_embedding(face))
                tick()
            embeddings = np.stack(rows)
        elif method == "hist":
            rows = []
            for face in faces:
                image = face.load()
                rows.append(colour_histogram(image, face_region(image.shape,
                                                                face.aligned_landmarks())))
            histograms = np.stack(rows)
        else:
            scalars[method] = np.array([_scalar(face, method) for face in faces])

    # Sorting and grouping by identity share one distance or clustering.
    distance = clusters = None
    if embeddings is not None and refs:
        distance = np.min([np.linalg.norm(embeddings - ref, axis=1) for ref in refs], axis=0)
    elif embeddings is not None:
        clusters = identity_clusters(embeddings, options.threshold)

    method = options.method
    if method == "identity":
        assert embeddings is not None
        if distance is not None:
            order = list(np.argsort(distance, kind="stable"))
        else:
            assert clusters is not None
            centres = {c: embeddings[clusters == c].mean(axis=0) for c in set(clusters)}
            spread = [np.linalg.norm(embeddings[i] - centres[clusters[i]])
                      for i in range(len(faces))]
            order = sorted(range(len(faces)), key=lambda i: (clusters[i], spread[i]))
    elif method == "hist":
        assert histograms is not None
        order = chain_order(histograms, histogram_distance)
    else:
        # Sharpest and largest first: what is worth keeping comes first, what to delete last.
        sign = 1.0 if method in _ANGLES else -1.0
        order = list(np.argsort(sign * scalars[method], kind="stable"))

    groups = None
    if options.group_by == "identity":
        if distance is not None:
            groups = ["match" if d <= options.threshold else "other" for d in distance]
        else:
            assert clusters is not None
            groups = [f"person_{label + 1:02d}" for label in clusters]
    elif options.group_by == "hist":
        assert histograms is not None
        from scipy.cluster.hierarchy import fcluster, linkage

        # Hellinger distance is the Euclidean distance of square-rooted histograms.
        roots = np.sqrt(histograms)
        if len(faces) > 1:
            labels = fcluster(linkage(roots, method="average"), t=max(1, options.bins),
                              criterion="maxclust")
        else:
            labels = np.ones(1, dtype=int)
        groups = [f"hist_{label:02d}" for label in labels]
    elif options.group_by is not None:
        index, labels = value_bins(scalars[options.group_by], options.bins,
                                   equal_width=options.group_by in _ANGLES)
        groups = [f"{i + 1:02d}_{options.group_by}_{labels[i]}" for i in index]
    return _Plan([int(i) for i in order], groups)


# --- the run ----------------------------------------------------------------------------------

def _read_faces(folder: Path) -> list[_Face]:
    if not folder.is_dir():
        raise FaceswapError(f"'{folder}' is not a folder. Pass the folder of faces that "
                            "`faceswap extract` wrote.")
    faces = []
    for path in list_images(folder):
        try:
            metadata = read_face_metadata(path)
        except FaceswapError:
            metadata = None
        faces.append(_Face(path, metadata))
    if not faces:
        raise FaceswapError(f"The folder '{folder}' holds no face images to sort.")
    return faces


def _targets(faces: list[_Face], plan: _Plan, output: Path) -> list[Path]:
    """Where each face goes (indexed like ``faces``)."""
    stems = [_RANK.sub("", face.path.stem) for face in faces]
    # Two files that differ only by an old rank prefix keep their full names (no collision).
    clash = {stem for stem in stems if stems.count(stem) > 1}
    targets: list[Path] = [output] * len(faces)
    for rank, index in enumerate(plan.order, 1):
        face = faces[index]
        stem = face.path.stem if stems[index] in clash else stems[index]
        if plan.groups is None:
            targets[index] = output / f"{rank:05d}_{stem}{face.path.suffix}"
        else:
            targets[index] = output / plan.groups[index] / face.path.name
    return targets


def _update_alignments(path: Path, moves: dict[str, str]) -> int:
    data = alignments_file.load(path)
    updated = 0
    for frame in data.frames.values():
        for face in frame.faces:
            if face.file in moves:
                face.file = moves[face.file]
                updated += 1
    if updated:
        alignments_file.save(data, path, backup=True)
    return updated


def sort_faces(options: SortOptions,
               progress: Callable[[int, int], None] | None = None) -> SortResult:
    """Sort the faces of ``options.input``; see the module docstring.

    ``progress(done, total)`` follows the slow part, computing identity embeddings.
    """
    start = time.perf_counter()
    for name in (options.method, options.group_by):
        if name is not None and name not in SORT_METHODS:
            raise FaceswapError(f"Unknown sort method '{name}'; choose from "
                                f"{', '.join(SORT_METHODS)}.")
    if options.references and "identity" not in (options.method, options.group_by):
        raise FaceswapError("-r/--reference photos only mean something with -s identity or "
                            "-g identity.")
    if options.bins < 1:
        raise FaceswapError("-b/--bins must be 1 or more.")
    folder = Path(options.input)
    output = Path(options.output) if options.output is not None else folder
    alignments = None if options.alignments is None else Path(options.alignments)
    faces = _read_faces(folder)
    if alignments is not None:
        alignments_file.load(alignments)  # a foreign or corrupt file stops us before any move
    atomic.check_writable(output)

    refs: list[np.ndarray] = []
    if options.references:
        from faceswap.lib.identity import reference_embeddings
        from faceswap.lib.registry import load_plugin

        refs = reference_embeddings(options.references, load_plugin("detect", "dlib-hog"),
                                    load_plugin("align", "dlib-68"))
    done = [0]

    def tick() -> None:
        done[0] += 1
        if progress is not None:
            progress(done[0], len(faces))

    plan = _plan(faces, options, refs, tick)
    targets = _targets(faces, plan, output)
    moves = [(face.path, target) for face, target in zip(faces, targets, strict=True)
             if face.path.resolve() != target.resolve()]
    taken = [t for _, t in moves if t.exists() and t not in {f.path for f in faces}]
    if taken:
        raise FaceswapError(f"'{taken[0]}' already exists (and {len(taken) - 1} more); sorting "
                            "would overwrite it. Choose an empty -o folder.")
    if options.keep:
        for source, target in moves:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic.copy_file(source, target)
    else:
        atomic.move_files(dict(moves))

    result = SortResult(files=[targets[i] for i in plan.order])
    if plan.groups is not None:
        for group in plan.groups:
            result.groups[group] = result.groups.get(group, 0) + 1
    if alignments is not None and not options.keep:
        renamed = {face.path.name: target.relative_to(output).as_posix()
                   for face, target in zip(faces, targets, strict=True)}
        result.alignments_updated = _update_alignments(alignments, renamed)
    result.seconds = time.perf_counter() - start
    return result
