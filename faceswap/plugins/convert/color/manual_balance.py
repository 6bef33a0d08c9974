"""Manually shift the new face's colour channels, contrast and brightness.

``colourspace`` picks the channels ``balance_1..3`` act on: HSV (default; hue, saturation,
value), RGB, LAB or YCrCb. Each balance is -100..100 %: positive moves the channel that far
toward its maximum, negative scales it that far toward its minimum. ``contrast`` (-100..100)
stretches values about mid-grey and ``brightness`` (-100..100) adds up to half the range, as
upstream's 1.27x scaling onto a ±127 range. All zero returns the face unchanged. The mask is
not used: the convert mask limits the change to the face when it is pasted.
"""

from __future__ import annotations

import cv2
import numpy as np

from faceswap.plugins.convert.color._common import as_face

OPTIONS: dict[str, object] = {
    "colourspace": "HSV",
    "balance_1": 0.0,
    "balance_2": 0.0,
    "balance_3": 0.0,
    "contrast": 0.0,
    "brightness": 0.0,
}

# Float conversions from BGR in [0, 1], and each channel's (low, high) in that colourspace.
_SPACES: dict[str, tuple[int | None, int | None, tuple[tuple[float, float], ...]]] = {
    "HSV": (cv2.COLOR_BGR2HSV, cv2.COLOR_HSV2BGR, ((0.0, 360.0), (0.0, 1.0), (0.0, 1.0))),
    "RGB": (cv2.COLOR_BGR2RGB, cv2.COLOR_RGB2BGR, ((0.0, 1.0),) * 3),
    "LAB": (cv2.COLOR_BGR2LAB, cv2.COLOR_LAB2BGR,
            ((0.0, 100.0), (-127.0, 127.0), (-127.0, 127.0))),
    "YCRCB": (cv2.COLOR_BGR2YCrCb, cv2.COLOR_YCrCb2BGR, ((0.0, 1.0),) * 3),
}
_MID_GREY = 127.0 / 255.0


def _balance(face: np.ndarray, space: str, amounts: list[float]) -> np.ndarray:
    forward, backward, limits = _SPACES[space]
    image = cv2.cvtColor(face, forward)
    for index, (amount, (low, high)) in enumerate(zip(amounts, limits, strict=True)):
        if amount == 0:
            continue
        channel = (image[..., index] - low) / (high - low)  # 0..1 whatever the colourspace
        # Positive: close that fraction of the gap to the top; negative: scale toward zero.
        channel = channel + (1.0 - channel) * amount if amount > 0 else channel * (1.0 + amount)
        image[..., index] = np.clip(channel, 0.0, 1.0) * (high - low) + low
    if space == "HSV":
        image[..., 0] %= 360.0  # hue is circular: 360 degrees is 0
    return cv2.cvtColor(image, backward)


def adjust(old: np.ndarray, new: np.ndarray, mask: np.ndarray, **options) -> np.ndarray:
    """``new`` with the balance, contrast and brightness in ``options`` applied, in [0, 1]."""
    settings = {**OPTIONS, **options}
    space = str(settings["colourspace"]).upper()
    if space not in _SPACES:
        raise ValueError(
            f"manual-balance colourspace must be one of {', '.join(_SPACES)}, got {space!r}"
        )
    amounts = [float(settings[f"balance_{i}"]) / 100.0 for i in (1, 2, 3)]
    contrast, brightness = float(settings["contrast"]), float(settings["brightness"])
    for name, value in (("balance", max(map(abs, amounts)) * 100), ("contrast", contrast),
                        ("brightness", brightness)):
        if abs(value) > 100:
            raise ValueError(f"manual-balance {name} must be between -100 and 100, got {value}")

    face = np.clip(as_face(new), 0.0, 1.0)
    if any(amounts):
        face = _balance(face, space, amounts)
    if contrast or brightness:
        # Upstream scales both onto ±127 of 255 and floors at -126, so -100 is very flat, not 0.
        gain = 1.0 + max(-126.0, contrast * 1.27) / 127.0
        shift = max(-126.0, brightness * 1.27) / 255.0
        face = (face - _MID_GREY) * gain + _MID_GREY + shift
    return np.clip(face, 0.0, 1.0).astype(np.float32)
