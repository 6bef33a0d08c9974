"""Frames/s of `faceswap convert` on a shared clip against a bare decode → encode of it.

One run: extract the clip's alignments, save an untrained full-size Original model (weights do
not change the speed), decode and re-encode the clip with PyAV alone (same codec settings), then
convert it to H.264 with the default mask and colour settings once per inference variant, then
the bare round trip again. Each variant's ratio is against the mean of the two bare runs, which
bracket it on a shared machine. One result line per variant; variants whose runtime is not
installed are skipped (a line says so).

    python bench/convert_speed.py [--clip livePortrait_d9.mp4] [--variants keras,openvino]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CLIPS = REPO.parent / "shared" / "face-data" / "clips"


def bare_round_trip(source: Path, target: Path) -> tuple[int, float]:
    """Decode every frame to BGR and encode it again with libx264 (crf 23, medium)."""
    import av

    start = time.perf_counter()
    count = 0
    with av.open(str(source)) as reader, av.open(str(target), "w") as writer:
        stream = reader.streams.video[0]
        out = writer.add_stream("libx264", rate=stream.average_rate)
        out.width, out.height = stream.codec_context.width, stream.codec_context.height
        out.pix_fmt = "yuv420p"
        out.options = {"crf": "23", "preset": "medium"}
        for frame in reader.decode(stream):
            image = frame.to_ndarray(format="bgr24")
            for packet in out.encode(av.VideoFrame.from_ndarray(image, format="bgr24")):
                writer.mux(packet)
            count += 1
        for packet in out.encode():
            writer.mux(packet)
    return count, time.perf_counter() - start


def _mark(marks: dict[int, float], done: int, _total: int | None) -> None:
    marks.setdefault(done, time.perf_counter())


#: name -> (ConvertOptions.inference, inference_precision, batch size); the first is the old
#: convert (predict_on_batch, batches of 16). The first openvino variant converts the model;
#: the later ones read that conversion from the cache, as a second convert with a model does.
VARIANTS = {
    "keras": ("keras", "f32", 16),
    "xla": ("xla", "f32", 16),
    "openvino": ("openvino", "auto", 16),
    "openvino-cached": ("openvino", "auto", 16),
    "openvino-f32": ("openvino", "f32", 16),
    "openvino-bs32": ("openvino", "auto", 32),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default="livePortrait_d9.mp4")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help=f"comma-separated, from {', '.join(VARIANTS)}")
    args = parser.parse_args()
    variants = args.variants.split(",")
    unknown = sorted(set(variants) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; choose from {', '.join(VARIANTS)}")
    sys.path.insert(0, str(REPO))
    from faceswap.lib.system import cpu_name
    from faceswap.plugins.train.model import create_model
    from faceswap.stages.convert.inference import openvino_available
    from faceswap.stages.convert.pipeline import ConvertOptions, convert
    from faceswap.stages.extract import ExtractOptions, extract

    clip = CLIPS / args.clip
    work = Path(tempfile.mkdtemp(prefix="fs_convert_bench_"))
    alignments = work / "alignments.json"
    extract(ExtractOptions(clip, work / "faces", alignments=alignments))
    model = create_model("original", work / "model")
    model.save()

    os.environ["FACESWAP_CACHE"] = str(work / "cache")  # starts empty: the first converts
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    frames, seconds = bare_round_trip(clip, work / "bare.mp4")
    bare_runs = [frames / seconds]
    results = []
    for name in variants:
        runtime, precision, batch_size = VARIANTS[name]
        if runtime == "openvino" and not openvino_available():
            results.append((name, "skipped (openvino not installed: pip install -e "
                                  "\".[openvino]\")"))
            continue
        if runtime == "xla" and backend != "tensorflow":
            results.append((name, f"skipped (XLA path is TensorFlow's; backend {backend})"))
            continue
        # Time to the first frame read (model load, runtime conversion) and the rate after it.
        marks: dict[int, float] = {}
        started = time.perf_counter()
        options = ConvertOptions(input=clip, output=work / f"swapped_{name}.mp4",
                                 model_dir=work / "model", alignments=alignments,
                                 inference=runtime, inference_precision=precision,
                                 batch_size=batch_size)
        summary = convert(options, functools.partial(_mark, marks))
        finished = time.perf_counter()
        steady = (summary.frames - 1) / (finished - marks[1])
        # summary.inference: what ran (bf16 only where the CPU has fast bfloat16 units and the
        # probe batch agreed with the Keras model within one 8-bit level).
        results.append((name, (
            f"ours {summary.fps:.1f} frames/s ({summary.faces_swapped} faces, {summary.frames} "
            f"frames; {summary.inference}, batch {batch_size}, max difference from keras "
            f"{summary.inference_difference:.1g}; start {marks[1] - started:.1f} s, then "
            f"{steady:.1f} frames/s)", summary.fps)))
    frames, seconds = bare_round_trip(clip, work / "bare.mp4")
    bare_runs.append(frames / seconds)
    bare = sum(bare_runs) / len(bare_runs)
    setting = (f"{args.clip}, Original 64 px, avg-color, extended mask, libx264 crf 23; "
               f"{backend}; {cpu_name()}, {os.cpu_count()} cores")
    for name, result in results:
        if isinstance(result, str):
            print(f"convert_speed: {name}: {result}")
            continue
        text, fps = result
        print(f"convert_speed: {name}: {text}, bare decode+encode {bare:.1f} frames/s "
              f"({bare_runs[0]:.1f} before, {bare_runs[1]:.1f} after), ratio {fps / bare:.2f} "
              f"({setting})")

if __name__ == "__main__":
    main()
