"""Head pose (yaw, pitch, roll) from 2-D landmarks, and the centering offsets that follow from it.

The pose is estimated in the reference face's unit space (after the Umeyama fit), so it is
independent of where and how large the face is in the frame. ``cv2.solvePnP`` fits a small 3-D
face model to the fitted landmarks with a fixed pinhole camera (focal length 4, principal point at
the centre of the unit square), which puts the model about 4 units from the camera: far enough
that perspective stays mild, as it is for a face filmed from a normal distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.lib.align.reference import MEAN_FACE

# Landmarks used for the fit: points that sit on bone or firm tissue (chin, jaw sides, brows,
# nose, eye corners, mouth corners and lip centres).
POSE_POINTS = np.array(
    [4, 8, 12, 17, 21, 22, 26, 27, 30, 31, 33, 35, 36, 39, 42, 45, 48, 51, 54, 57]
)

# Depth of each POSE_POINT in core-box units (the reference face's eyebrow-to-mouth box is 1x1),
# +z pointing into the head, 0 = the outer eye corners. Set by hand from average facial
# proportions (nose tip about 0.3 of the outer-eye-corner distance in front of the eyes, chin
# 0.15, mouth corners level with the eyes, jaw angles well behind). Only pose and the centering
# offsets depend on it, and both tolerate a coarse model.
_DEPTH = {
    4: 0.25, 8: -0.12, 12: 0.25, 17: 0.02, 21: -0.08, 22: -0.08, 26: 0.02, 27: -0.05,
    30: -0.23, 31: -0.08, 33: -0.15, 35: -0.08, 36: 0.0, 39: -0.04, 42: -0.04, 45: 0.0,
    48: -0.02, 51: -0.12, 54: -0.02, 57: -0.10,
}
_DISTANCE = 4.0  # the camera's focal length: a face this far away appears at unit scale
# x and y are scaled by depth so that, seen frontally from _DISTANCE, the model projects exactly
# onto the 2-D reference face: the reference face itself then has pose (0, 0, 0).
CAMERA = np.array([[_DISTANCE, 0.0, 0.5], [0.0, _DISTANCE, 0.5], [0.0, 0.0, 1.0]])
MEAN_FACE_3D = np.array(
    [
        [
            (MEAN_FACE[i, 0] - 0.5) * (_DISTANCE + _DEPTH[int(i)]) / _DISTANCE,
            (MEAN_FACE[i, 1] - 0.5) * (_DISTANCE + _DEPTH[int(i)]) / _DISTANCE,
            _DEPTH[int(i)],
        ]
        for i in POSE_POINTS
    ]
)

# Model-space points whose projection is the centre of each centering's crop, relative to the
# centre of the reference face's core box. "face" sits a little above the nose and in front of
# the eyes, so the crop follows where the face points; "head" sits up and back at the middle of
# the skull, so a turned head stays inside its crop. "legacy" uses no pose correction.
CENTER_POINTS = {"face": (0.0, -0.1, -0.1), "head": (0.0, -0.37, 0.5)}


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees: yaw (+ = the nose turns towards the image's left), pitch (+ = chin
    up), roll (+ = the face tilts clockwise in the image), and the unit-space centering offsets."""

    yaw: float
    pitch: float
    roll: float
    offsets: dict[str, tuple[float, float]]

    def to_dict(self) -> dict[str, float]:
        return {
            "yaw": round(self.yaw, 3), "pitch": round(self.pitch, 3), "roll": round(self.roll, 3)
        }


def estimate_pose(unit_landmarks: np.ndarray) -> Pose:
    """Pose of a face from its 68 landmarks in reference unit space (``legacy_matrix`` applied)."""
    image_points = np.ascontiguousarray(unit_landmarks[POSE_POINTS], dtype=np.float64)
    ok, rvec, tvec = cv2.solvePnP(
        MEAN_FACE_3D, image_points, CAMERA, np.zeros(4), flags=cv2.SOLVEPNP_ITERATIVE,
        useExtrinsicGuess=True, rvec=np.zeros((3, 1)), tvec=np.array([[0.0], [0.0], [_DISTANCE]]),
    )
    if not ok:  # degenerate landmarks: treat as frontal rather than fail the whole frame
        rvec, tvec = np.zeros((3, 1)), np.array([[0.0], [0.0], [_DISTANCE]])
    rotation, _ = cv2.Rodrigues(rvec)
    pitch, yaw, roll = cv2.RQDecomp3x3(rotation)[0]
    points = np.array(list(CENTER_POINTS.values()), dtype=np.float64)
    projected, _ = cv2.projectPoints(points, rvec, tvec, CAMERA, np.zeros(4))
    offsets = {"legacy": (0.0, 0.0)}
    for name, point in zip(CENTER_POINTS, projected.reshape(-1, 2), strict=True):
        offsets[name] = (float(point[0] - 0.5), float(point[1] - 0.5))
    # Camera x points right and y down; flip pitch so chin-up is positive and wrap to (-180, 180].
    pitch = -pitch
    pitch = (pitch + 180.0) % 360.0 - 180.0
    return Pose(yaw=float(yaw), pitch=float(pitch), roll=float(roll), offsets=offsets)
