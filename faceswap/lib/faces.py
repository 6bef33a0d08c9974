"""The aligned-face file: what an aligned face PNG holds and how its stored masks are read.

`faceswap extract` writes one PNG per face, ``SIZE`` px at ``CENTERING`` and ``COVERAGE`` (the
whole head, so training can sub-crop any centering), with a text chunk of JSON metadata
(``face_metadata``): the frame it came from, its landmarks in the frame and in the PNG, the
crop matrix, its pose and its stored masks. A stored mask is a ``MASK_SIZE`` px PNG at
``MASK_CENTERING``, the same for landmark masks (``landmark_masks``) and learned ones
(`faceswap mask apply`), so any crop of the face can warp it into place (``mask_in_face``).
docs/formats.md describes the file for other programs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.lib import alignments as alignments_file
from faceswap.lib.align import FACE_MASK_TYPES, AlignedFace, landmark_mask, transform_points
from faceswap.lib.align.masks import LEARNED_MASK_TYPES
from faceswap.lib.errors import FaceswapError
from faceswap.lib.image import encode_image, read_face_metadata

FACE_FORMAT = "faceswap-face"  # the "format" of the PNG metadata
FACE_VERSION = 1
CENTERING = "head"  # extracted faces keep the whole head so training can sub-crop any centering
COVERAGE = 1.0
MASK_SIZE = 128
MASK_CENTERING = "face"
DEFAULT_MASKS = FACE_MASK_TYPES


def face_metadata(face: alignments_file.Face, size: int, matrix: np.ndarray,
                  source: dict[str, Any], landmarks: np.ndarray | None = None) -> dict[str, Any]:
    """The metadata of an aligned face PNG cut from a frame with ``matrix`` (frame -> PNG px).

    ``source`` says where it came from (source, frame, face_index, frame_dims, is_video,
    alignments); ``landmarks`` default to the face's own.
    """
    face_dict = face.to_dict()
    points = face.landmarks if landmarks is None else landmarks
    return {
        "format": FACE_FORMAT,
        "version": FACE_VERSION,
        "source": source,
        "face": {
            "size": size, "centering": CENTERING, "coverage": COVERAGE,
            "box": face_dict["box"], "score": face_dict["score"],
            "landmarks": face_dict["landmarks"],
            "aligned_landmarks": np.round(transform_points(points, matrix), 3).tolist(),
            "matrix": np.asarray(matrix).tolist(), "legacy_matrix": face_dict["matrix"],
            "pose": face_dict["pose"], "masks": face_dict["masks"],
            **({"identity": face_dict["identity"]} if face.identity else {}),
        },
    }


def is_face_metadata(meta: Any) -> bool:
    """Whether ``meta`` (a PNG's metadata) describes a faceswap aligned face."""
    return (isinstance(meta, dict) and meta.get("format") == FACE_FORMAT
            and isinstance(meta.get("face"), dict))


def face_image_landmarks(face_meta: dict[str, Any]) -> np.ndarray:
    """The 68 landmarks in the pixels of a face PNG, from its metadata's ``face`` entry."""
    points = face_meta.get("aligned_landmarks")
    if points is None:
        matrix = np.asarray(face_meta["matrix"], dtype=np.float64)
        frame = np.asarray(face_meta["landmarks"], dtype=np.float64)
        points = frame @ matrix[:, :2].T + matrix[:, 2]
    points = np.asarray(points, dtype=np.float64)
    if points.shape != (68, 2):
        raise KeyError("landmarks")
    return points


# --- stored masks -----------------------------------------------------------------------------
def landmark_masks(aligned: AlignedFace, kinds: Sequence[str]) -> dict[str, alignments_file.Mask]:
    """The stored masks of a face: ``MASK_SIZE`` px PNGs in ``MASK_CENTERING`` aligned space.

    Extract and `faceswap mask` both draw them here, so stored masks are always drawn the same
    way.
    """
    points = aligned.aligned_landmarks(MASK_SIZE, MASK_CENTERING, COVERAGE)
    return {kind: alignments_file.Mask(png=encode_image(landmark_mask(points, MASK_SIZE, kind),
                                                        ".png"),
                                       size=MASK_SIZE, centering=MASK_CENTERING,
                                       coverage=COVERAGE)
            for kind in kinds}


def mask_in_face(mask: alignments_file.Mask, landmarks: np.ndarray, size: int,
                 centering: str, coverage: float = 1.0) -> np.ndarray:
    """A stored mask warped into an aligned face image of ``size`` px at ``centering``.

    Both are crops of the same frame around the same face, so the warp is the face crop's
    matrix after the inverse of the mask's.
    """
    aligned = AlignedFace.from_landmarks(landmarks)
    to_mask = np.vstack([aligned.matrix(mask.size, mask.centering, mask.coverage), [0, 0, 1]])
    to_face = np.vstack([aligned.matrix(size, centering, coverage), [0, 0, 1]])
    matrix = (to_face @ np.linalg.inv(to_mask))[:2]
    return cv2.warpAffine(mask.decode(), matrix, (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)


def face_png_mask(path: str | Path, kind: str, landmarks: np.ndarray, size: int, centering: str,
                  coverage: float = 1.0) -> np.ndarray:
    """The mask ``kind`` stored in a face PNG, as uint8 (size, size) in the pixels of
    ``AlignedFace.from_landmarks(landmarks).crop(image, size, centering, coverage)``, where
    ``landmarks`` are the face's landmarks in that PNG's pixels (what training cuts with).

    Raises FaceswapError naming the command to run when the face has no such mask.
    """
    try:
        stored = read_face_metadata(path)["face"]["masks"][kind]
    except (FaceswapError, KeyError, TypeError) as err:
        raise FaceswapError(
            f"The face '{path}' has no stored '{kind}' mask. Store it for the whole folder with "
            f"`faceswap mask apply -i {Path(path).parent} -m MASK_MODEL_FOLDER`.") from err
    return mask_in_face(alignments_file.Mask.from_dict(stored), landmarks, size, centering,
                        coverage)


def faces_without(paths: list[Path], kind: str) -> list[Path]:
    """The face PNGs of ``paths`` that carry no stored ``kind`` mask (for a check up front)."""
    missing = []
    for path in paths:
        try:
            if kind not in read_face_metadata(path)["face"].get("masks", {}):
                missing.append(path)
        except (FaceswapError, KeyError, TypeError, AttributeError):
            missing.append(path)
    return missing


def check_stored(alignments: alignments_file.Alignments, kind: str, path: Path) -> None:
    """Refuse to convert with a learned mask that some faces of ``alignments`` lack."""
    if kind not in LEARNED_MASK_TYPES:
        return
    missing = [(key, face.index) for key, frame in alignments.frames.items()
               for face in frame.faces if kind not in face.masks]
    if missing:
        total = alignments.face_count
        raise FaceswapError(
            f"{len(missing)} of {total} faces in '{path}' have no '{kind}' mask (first: face "
            f"{missing[0][1]} of frame '{missing[0][0]}'). Store it first: `faceswap mask apply "
            f"-i {path} -m MASK_MODEL_FOLDER`. Nothing was written.")


def record_masks(data: alignments_file.Alignments, kinds: Sequence[str]) -> None:
    """Add ``kinds`` to the mask kinds the alignments file says its faces carry (no repeats)."""
    stored = (data.extract or {}).get("masks", [])
    data.extract = {**(data.extract or {}),
                    "masks": [*stored, *(kind for kind in kinds if kind not in stored)]}
