"""The project's settings turned into the library's options: what a job or a preview runs with.

The options are plain JSON (a job's options are stored in the job list and sent to the worker
process); the worker builds ``ExtractOptions`` / ``TrainOptions`` / ``ConvertOptions`` from
them. Missing settings take the project's defaults, which are the library's own
(``project.with_defaults``).
"""

from __future__ import annotations

from typing import Any

from faceswap.gui import project as project_file
from faceswap.lib.errors import FaceswapError
from faceswap.lib.video import is_video_file


def convert_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """The ``ConvertOptions`` fields the convert view sets, from its settings; the mask
    settings as ``blend.mask_settings`` keywords."""
    settings = project_file.with_defaults("convert", settings)
    return {"mask": str(settings["mask"]),
            "mask_settings": {"type": str(settings["blur"]),
                              "kernel_size": int(settings["kernel_size"]),
                              "erosion": float(settings["erosion"])},
            "color": str(settings["color"]), "sharpen": str(settings["sharpen"]),
            "sharpen_amount": float(settings["sharpen_amount"])}


def _extract(project: project_file.Project, side: str) -> dict[str, Any]:
    source = project.source(side)
    if source is None:
        raise FaceswapError(f"Pick person {side.upper()}'s source (a video, an image folder "
                            "or an image) in the project first.")
    settings = project_file.with_defaults("extract", project.extract)
    options = {"input": str(source), "output_dir": str(project.faces(side)),
               "size": int(settings["size"]), "every_n": int(settings["every_n"])}
    recorded = getattr(project, f"alignments_{side}")
    if recorded:
        options["alignments"] = str(project.resolve(recorded))
    return options


def _train(project: project_file.Project) -> dict[str, Any]:
    settings = project_file.with_defaults("train", project.train)
    return {"input_a": str(project.faces("a")), "input_b": str(project.faces("b")),
            "model_dir": str(project.resolve(project.model_dir)), "trainer": project.trainer,
            "batch_size": int(settings["batch_size"]),
            "iterations": int(settings["iterations"]),
            "save_interval": int(settings["save_interval"]),
            "write_preview": True, "config": dict(settings["config"])}


def _convert(project: project_file.Project) -> dict[str, Any]:
    source = project.source("a")
    if source is None:
        raise FaceswapError("Pick person A's source in the project first.")
    output = project.convert.get("output") or (
        f"converted/{source.stem}_swapped{source.suffix}" if is_video_file(source)
        else f"converted/{source.stem}")
    alignments = project.alignments("a")
    return {"input": str(source), "output": str(project.resolve(output)),
            "model_dir": str(project.resolve(project.model_dir)),
            "alignments": str(alignments) if alignments else None,
            **convert_settings(project.convert)}


def job_options(project: project_file.Project, kind: str, side: str = "a") -> tuple[str, dict]:
    """The title and the library options of a ``kind`` job built from the project."""
    if kind == "extract":
        return f"extract {side.upper()}", _extract(project, side)
    if kind == "train":
        return "train", _train(project)
    if kind == "convert":
        return "convert", _convert(project)
    raise FaceswapError(f"Unknown job kind '{kind}'; choose extract, train or convert.")
