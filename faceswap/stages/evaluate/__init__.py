"""`faceswap evaluate`: numbers that say how good a swap is.

Over ``frames`` frames sampled evenly from person A's input (frames the alignments file lists a
face for), the swapped output (converted now, or read from ``swapped``) is compared with the
source:

* identity: dlib's 128-D ResNet embedding of the swapped face against person B's and person A's
  mean embeddings (retrieval = share of frames closer to B);
* pose: |Δyaw|, |Δpitch|, |Δroll| between source and swapped face;
* expression: eye and mouth landmark distance between source and swapped face, in inter-ocular
  distances;
* temporal stability (video): frame-to-frame change of the swapped face region over the source's;
* reconstruction (needs the model): SSIM and PSNR of A→A and B→B on held-out faces, or on the
  faces at hand when none are given (the report says which).

Landmarks of source *and* swapped frame are measured the same way (detector near the known face,
then the aligner), so differences come from the frames, not from two measuring procedures: the
unchanged source as "swap" scores exactly zero pose and expression error. Only the largest face
of a frame is evaluated. ``DEFINITIONS`` (also written into the JSON) states every metric.
"""

from faceswap.lib.alignments import box_iou
from faceswap.stages.evaluate.metrics import (
    PSNR_CAP,
    expression_distance,
    identity_scores,
    image_similarity,
    pose_difference,
    sample_evenly,
)
from faceswap.stages.evaluate.report import (
    DEFINITIONS,
    FORMAT,
    SCHEMA_VERSION,
    EvaluateOptions,
    EvaluateResult,
    write_report,
)
from faceswap.stages.evaluate.run import evaluate

__all__ = [
    "DEFINITIONS",
    "FORMAT",
    "PSNR_CAP",
    "SCHEMA_VERSION",
    "EvaluateOptions",
    "EvaluateResult",
    "box_iou",
    "evaluate",
    "expression_distance",
    "identity_scores",
    "image_similarity",
    "pose_difference",
    "sample_evenly",
    "write_report",
]
