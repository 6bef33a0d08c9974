"""Frames/s of `faceswap convert` on a shared clip against a bare decode → encode of it.

One run: extract the clip's alignments, save an untrained full-size Original model (weights do
not change the speed), convert the clip to H.264 with the default mask and colour settings,
then decode and re-encode the same clip with PyAV alone (same codec settings). The ratio shows
what detection-free swapping costs on top of the video round trip.

    python bench/convert_speed.py [--clip livePortrait_d9.mp4] [--frames 0 (all)]
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default="livePortrait_d9.mp4")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from faceswap.lib.convert import ConvertOptions, convert
    from faceswap.lib.extract import ExtractOptions, extract
    from faceswap.lib.system import cpu_name
    from faceswap.plugins.train.model.original import Model

    clip = CLIPS / args.clip
    work = Path(tempfile.mkdtemp(prefix="fs_convert_bench_"))
    alignments = work / "alignments.json"
    extract(ExtractOptions(clip, work / "faces", alignments=alignments))
    model = Model(work / "model")
    model.build()
    model.save()

    summary = convert(ConvertOptions(input=clip, output=work / "swapped.mp4",
                                     model_dir=work / "model", alignments=alignments))
    frames, seconds = bare_round_trip(clip, work / "bare.mp4")
    bare = frames / seconds
    print(f"convert_speed: ours {summary.fps:.1f} frames/s ({summary.faces_swapped} faces, "
          f"{summary.frames} frames), bare decode+encode {bare:.1f} frames/s, ratio "
          f"{summary.fps / bare:.2f} ({args.clip}, Original 64 px, avg-color, extended mask, "
          f"libx264 crf 23; {os.environ.get('KERAS_BACKEND', 'tensorflow')}; {cpu_name()}, "
          f"{os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
