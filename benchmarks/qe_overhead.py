"""What quality estimation costs a translation run: the seed press release translated by a
tiny model (tests/tiny_models.py, random weights, CTranslate2 int8) with QE on and off,
memory and cache off, alternating runs; prints the median seconds of each and the ratio.

    PYTHONPATH=. python benchmarks/qe_overhead.py [--runs 5] [--max-length 48]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT.parent / "shared" / "seeds" / "press-release-2022-07.az.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--max-length", type=int, default=48)
    parser.add_argument("--seed-file", default=str(SEED))
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from tiny_models import build_marian

    from dilmanc.engines.base import DecodeOptions
    from dilmanc.models.convert import convert_to_ct2
    from dilmanc.pipeline.service import Service
    from dilmanc.pipeline.settings import Settings

    text = Path(args.seed_file).read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        model = convert_to_ct2(build_marian(Path(tmp) / "marian"), Path(tmp) / "ct2")
        seconds: dict[str, list[float]] = {"on": [], "off": []}
        for run in range(args.runs + 1):  # the first round warms up (model load, lingua)
            for mode in ("off", "on"):
                settings = Settings(
                    models=(str(model),),
                    decode=DecodeOptions(beam_size=2, max_length=args.max_length),
                    use_tm=False,
                    use_cache=False,
                    qe=mode,
                )
                service = Service(settings).load()
                pipeline = service.pipeline()
                started = time.perf_counter()
                service.translate_text(text, settings.target_languages[0], pipeline)
                if run:
                    seconds[mode].append(time.perf_counter() - started)
                qe_stage = pipeline.report()["seconds"]["qe"]
        on, off = statistics.median(seconds["on"]), statistics.median(seconds["off"])
        print(f"segments: {pipeline.report()['segments']['total']}")
        print(f"qe off: {off:.3f} s  qe on: {on:.3f} s  ratio: {on / off:.3f}")
        print(f"qe stage (last run): {qe_stage:.3f} s")


if __name__ == "__main__":
    main()
