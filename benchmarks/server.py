"""Server benchmark: single-sentence requests from 1, 4 and 16 concurrent clients against
`dilmanc serve` on 127.0.0.1, compared with the offline batch throughput of the same engine
on the same sentences.

    python benchmarks/server.py --quick --json out.json          # opus-mt base CT2 int8
    python benchmarks/server.py --soak 600 --json soak.json      # + a 10-minute soak

The model is the opus-mt base architecture with random weights (benchmarks/_models.py,
cached under --work-dir), converted to CTranslate2 int8. Every sentence decodes the same
fixed number of tokens (min = max length), so engines do the same work whatever the weights.
The sentences are real NTREX-128 Azerbaijani lines (read from ../shared at run time) that
dilmanc keeps as one segment each.

* offline: `engine.translate_results(all sentences)` in this process (one call; the engine
  sorts by length and batches by its token budget) and the service pipeline's
  `translate_lines` over the same sentences; best of --rounds.
* server: `python -m dilmanc serve` in its own process; a bounded closed-loop load generator
  (N client threads, each with a keep-alive session, each sending its share of the sentences
  one request at a time, LibreTranslate JSON) sends every sentence once per round;
  throughput = sentences / wall time, latency percentiles over all requests of the best
  round. The server's batching counters (/ready) give segments per engine call.
* soak (--soak SECONDS): 16 clients cycling through the sentences; the server's RSS is
  sampled every 5 s; errors are counted.
* glossary (--glossary-entries N, default 100,000; 0: skip): an N-entry glossary created
  through /v2/glossaries (synthetic terms), then one-sentence /v2/translate requests with
  and without it, one client; median and max seconds per request.
* peer (--peer URL): the same client levels and rounds against any LibreTranslate-compatible
  server already running at URL (LibreTranslate itself on the same weights, or another
  dilmanc), after dilmanc's; `peer_ratios` gives dilmanc ÷ peer for p50 latency and
  sentences/s per level, and for RSS when `--peer-pid PID` names the peer's process (its
  children included: gunicorn workers). `--api-key KEY` is sent to the peer if it needs one.
  Nothing of LibreTranslate is installed or imported here.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]  # this checkout's dilmanc, as the server process uses

from _models import MarianShape, build_marian, convert_ct2  # noqa: E402
from throughput import NTREX, NTREX_EN, data_dir, single_segment_lines  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="96 sentences (default 192)")
    p.add_argument("--sentences", type=int)
    p.add_argument("--tokens", type=int, default=16, help="fixed target tokens per sentence")
    p.add_argument("--beam", type=int, default=4)
    p.add_argument("--clients", default="1,4,16")
    p.add_argument("--rounds", type=int, default=2, help="rounds per level; the best counts")
    p.add_argument("--window-ms", type=float, default=5.0, help="server batch window")
    p.add_argument("--threads", type=int, default=0, help="engine threads (0: all cores)")
    p.add_argument("--soak", type=float, default=0.0, help="soak seconds with 16 clients")
    p.add_argument("--glossary-entries", type=int, default=100_000)
    p.add_argument("--json", dest="json_out")
    p.add_argument("--work-dir", default=os.environ.get("DILMANC_BENCH_DIR"))
    p.add_argument("--data-dir")
    p.add_argument("--peer", metavar="URL", help="also load a LibreTranslate server at URL")
    p.add_argument("--peer-pid", type=int, help="the peer's process id, for its RSS")
    p.add_argument("--api-key", help="api_key sent to the peer")
    p.add_argument("--mini", action="store_true", help=argparse.SUPPRESS)  # tests: tiny model
    return p.parse_args(argv)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# --- offline -----------------------------------------------------------------------------


def offline(model: Path, sentences: list[str], opts) -> dict:
    """Sentences per second of the engine on all sentences at once, of the engine one
    sentence at a time, and of the service pipeline on all at once (best of --rounds)."""
    from dilmanc.engines.base import DecodeOptions
    from dilmanc.engines.registry import clear_cache, load_engine
    from dilmanc.languages import resolve
    from dilmanc.pipeline.service import Service
    from dilmanc.pipeline.settings import Settings

    options = DecodeOptions(beam_size=opts.beam, max_length=opts.tokens, min_length=opts.tokens)
    az, en = resolve("az"), resolve("en")
    engine = load_engine(str(model), threads=opts.threads)
    engine.translate_results(sentences[:8], az, en, options)  # warm up
    service = Service(
        Settings(
            models=(str(model),),
            threads=opts.threads,
            decode=options,
            use_tm=False,
            use_cache=False,
        )
    ).load()
    runs: dict[str, list[float]] = {"engine_batch": [], "engine_single": [], "pipeline_batch": []}
    for _ in range(opts.rounds):
        started = time.perf_counter()
        engine.translate_results(sentences, az, en, options)
        runs["engine_batch"].append(time.perf_counter() - started)
        started = time.perf_counter()
        for sentence in sentences[:32]:
            engine.translate_results([sentence], az, en, options)
        runs["engine_single"].append((time.perf_counter() - started) * len(sentences) / 32)
        started = time.perf_counter()
        service.pipeline().translate_lines(sentences, en)
        runs["pipeline_batch"].append(time.perf_counter() - started)
    clear_cache()
    n = len(sentences)
    out: dict = {f"{name}_sent_per_s": n / min(values) for name, values in runs.items()}
    out["rounds_s"] = runs
    return out


def best_offline(first: dict, second: dict) -> dict:
    """Offline figures measured before and after the server runs: the faster of each (other
    load on a shared machine only ever slows a run down)."""
    out = {key: max(first[key], second[key]) for key in first if key.endswith("_sent_per_s")}
    out["before_server"], out["after_server"] = first, second
    return out


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(model: Path, opts, data: Path, port: int) -> subprocess.Popen:
    cmd = [
        sys.executable, "-m", "dilmanc", "serve", "--model", str(model),
        "--host", "127.0.0.1", "--port", str(port), "--beam", str(opts.beam),
        "--max-length", str(opts.tokens), "--min-length", str(opts.tokens),
        "--threads", str(opts.threads), "--batch-window-ms", str(opts.window_ms),
        "--char-limit", "-1", "--max-queue", "100000", "--data-dir", str(data),
        "--log-level", "warning", "--no-tm", "--no-cache",  # the model, not a memory
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    log = open(data / "server.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=log)
    import requests

    deadline = time.monotonic() + 300
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit("server exited:\n" + (data / "server.log").read_text())
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=30).status_code == 200:
                    return process
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not start")
            time.sleep(0.2)
    except BaseException:
        process.kill()
        process.wait()
        raise


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tree_rss_mib(pid: int) -> float:
    """RSS of `pid` and all its descendants (a gunicorn master and its workers)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += rss_mib(current)
        except OSError:
            continue
        todo += children.get(current, [])
    return total


def ready(url: str) -> dict | None:
    """dilmanc's /ready (batching counters); None from a server without it (LibreTranslate)."""
    import requests

    try:
        response = requests.get(url + "/ready", timeout=10)
        return response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None


def load_round(url: str, sentences: list[str], clients: int, api_key: str | None = None) -> dict:
    """Every sentence once, spread over `clients` closed-loop clients."""
    import requests

    extra = {"api_key": api_key} if api_key else {}

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def client(index: int) -> None:
        session = requests.Session()
        mine = sentences[index::clients]
        barrier.wait()
        for sentence in mine:
            started = time.perf_counter()
            try:
                response = session.post(
                    url + "/translate",
                    json={"q": sentence, "source": "az", "target": "en", **extra},
                    timeout=120,
                )
                ok = response.status_code == 200 and response.json().get("translatedText")
                problem = None if ok else f"{response.status_code} {response.text[:100]}"
            except requests.RequestException as err:
                problem = type(err).__name__
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if problem:
                    errors.append(problem)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    before = ready(url)
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    after = ready(url)
    calls = segments = 0
    if before and after:
        before, after = before["batching"][0], after["batching"][0]
        calls = after["engine_calls"] - before["engine_calls"]
        segments = after["segments"] - before["segments"]
    return {
        "clients": clients,
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "wall_s": wall,
        "sent_per_s": len(sentences) / wall,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "engine_calls": calls,
        "segments_per_call": segments / calls if calls else 0.0,
    }


def soak(url: str, pid: int, sentences: list[str], seconds: float, clients: int = 16) -> dict:
    import requests

    stop = threading.Event()
    counts = {"requests": 0, "errors": 0}
    lock = threading.Lock()
    samples: list[tuple[float, float]] = []

    def client(index: int) -> None:
        session = requests.Session()
        i = index
        while not stop.is_set():
            sentence = sentences[i % len(sentences)]
            i += clients
            try:
                response = session.post(
                    url + "/translate",
                    json={"q": sentence, "source": "az", "target": "en"},
                    timeout=120,
                )
                failed = response.status_code != 200
            except requests.RequestException:
                failed = True
            with lock:
                counts["requests"] += 1
                counts["errors"] += failed

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    while time.perf_counter() - started < seconds:
        samples.append((round(time.perf_counter() - started, 1), round(rss_mib(pid), 1)))
        time.sleep(5)
    stop.set()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    rss = [value for _, value in samples]
    settled = rss[len(rss) // 4 :] or rss  # after warm-up
    return {
        "seconds": wall,
        "clients": clients,
        **counts,
        "sent_per_s": counts["requests"] / wall,
        "rss_mib_first": rss[0],
        "rss_mib_after_warmup": settled[0],
        "rss_mib_last": rss[-1],
        "rss_mib_max": max(rss),
        "rss_growth_after_warmup_mib": rss[-1] - settled[0],
        "samples": samples,
    }


def glossary_requests(url: str, sentences: list[str], entries: int, count: int = 8) -> dict:
    """Seconds to create an `entries`-entry glossary, and per one-sentence request with and
    without it (the sentence holds one of its terms)."""
    import requests

    terms = "\n".join(f"sınaq{i}x termini\tterm{i}" for i in range(entries))
    started = time.perf_counter()
    made = requests.post(
        url + "/v2/glossaries",
        json={"name": "bench", "source_lang": "az", "target_lang": "en", "entries": terms},
        timeout=600,
    )
    created = time.perf_counter() - started
    if made.status_code != 201:
        raise SystemExit(f"glossary not created: {made.status_code} {made.text[:200]}")
    glossary_id = made.json()["glossary_id"]
    out: dict = {"entries": entries, "create_s": created}
    for label, extra in (("without", {}), ("with", {"glossary_id": glossary_id})):
        seconds = []
        for i in range(count):
            text = f"{sentences[i % len(sentences)]} sınaq{i * 7 % entries}x termini"
            started = time.perf_counter()
            response = requests.post(
                url + "/v2/translate",
                json={"text": [text], "source_lang": "AZ", "target_lang": "EN-GB", **extra},
                timeout=600,
            )
            seconds.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"translate failed: {response.status_code} {response.text}")
        out[f"{label}_median_s"] = percentile(seconds, 0.5)
        out[f"{label}_max_s"] = max(seconds)
    requests.delete(url + f"/v2/glossaries/{glossary_id}", timeout=60)
    return out


def levels(url: str, sentences: list[str], opts, api_key: str | None = None) -> list[dict]:
    """Each --clients level: --rounds rounds, the best (most sentences/s) with all rounds."""
    out = []
    for clients in [int(c) for c in opts.clients.split(",")]:
        runs = [load_round(url, sentences, clients, api_key) for _ in range(opts.rounds)]
        best = max(runs, key=lambda r: r["sent_per_s"])
        best["all_rounds_sent_per_s"] = [r["sent_per_s"] for r in runs]
        best["errors_all_rounds"] = sum(r["errors"] for r in runs)
        out.append(best)
    return out


def measure_peer(url: str, sentences: list[str], opts) -> dict:
    """The client levels against a running LibreTranslate-compatible server, and its RSS."""
    load_round(url, sentences[:16], 16, opts.api_key)  # warm up, as for dilmanc
    out: dict = {"url": url, "server": levels(url, sentences, opts, opts.api_key)}
    if opts.peer_pid:
        out["rss_mib"] = tree_rss_mib(opts.peer_pid)
    for level in out["server"]:
        print(
            f"peer {level['clients']:>3} clients: {level['sent_per_s']:7.1f} sent/s  "
            f"p50 {level['p50_ms']:6.0f} ms  p95 {level['p95_ms']:6.0f} ms  "
            f"errors {level['errors']}"
        )
    return out


def peer_ratios(report: dict) -> dict:
    """dilmanc ÷ peer per client level (p50 latency: below 1 is faster; sentences/s: above 1
    is faster) and for RSS when the peer's was measured (below 1 is smaller)."""
    peer = {level["clients"]: level for level in report["peer"]["server"]}
    out: dict = {}
    for level in report["server"]:
        other = peer.get(level["clients"])
        if other and other["p50_ms"] > 0:
            out[f"p50_{level['clients']}_clients"] = level["p50_ms"] / other["p50_ms"]
            out[f"sent_per_s_{level['clients']}_clients"] = (
                level["sent_per_s"] / other["sent_per_s"]
            )
    if report["peer"].get("rss_mib"):
        out["rss"] = report["server_rss_mib"] / report["peer"]["rss_mib"]
    print("dilmanc / peer: " + ", ".join(f"{k} {v:.2f}" for k, v in out.items()))
    return out


def main(argv: list[str] | None = None) -> dict:
    opts = parse_args(argv)
    data = data_dir(opts.data_dir)
    work = Path(opts.work_dir or Path.home() / ".cache" / "dilmanc" / "bench")
    work.mkdir(parents=True, exist_ok=True)
    az = (data / NTREX).read_text(encoding="utf-8").splitlines()
    en = (data / NTREX_EN).read_text(encoding="utf-8").splitlines()
    count = opts.sentences or (96 if opts.quick else 192)
    sentences = single_segment_lines(az)[:count]
    shape = MarianShape()
    if opts.mini:
        from _models import MINI_MARIAN

        shape = MINI_MARIAN
    model = convert_ct2(build_marian(work, az, en, shape))
    print(f"model {model}; {len(sentences)} sentences; {opts.tokens} tokens; beam {opts.beam}")
    report: dict = {
        "settings": {
            "model": "opus-mt base architecture, random weights, CTranslate2 int8",
            "model_dir": str(model),
            "sentences": len(sentences),
            "tokens_per_sentence": opts.tokens,
            "beam": opts.beam,
            "threads": opts.threads or os.cpu_count(),
            "batch_window_ms": opts.window_ms,
            "rounds": opts.rounds,
            "cpu": platform.processor() or platform.machine(),
            "cores": len(os.sched_getaffinity(0)),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
        }
    }
    before = offline(model, sentences, opts)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        process = start_server(model, opts, Path(tmp), port)
        url = f"http://127.0.0.1:{port}"
        try:
            load_round(url, sentences[:16], 16)  # warm up the server
            report["server"] = levels(url, sentences, opts)
            if opts.glossary_entries:
                report["glossary"] = g = glossary_requests(url, sentences, opts.glossary_entries)
                print(
                    f"glossary of {g['entries']} entries: created in {g['create_s']:.1f} s; "
                    f"one-sentence request {g['with_median_s']:.3f} s with it (max "
                    f"{g['with_max_s']:.3f}), {g['without_median_s']:.3f} s without"
                )
            if opts.soak:
                report["soak"] = soak(url, process.pid, sentences, opts.soak)
                s = report["soak"]
                print(
                    f"soak {s['seconds']:.0f}s: {s['requests']} requests, {s['errors']} errors, "
                    f"{s['sent_per_s']:.1f} sent/s, RSS {s['rss_mib_after_warmup']:.0f} → "
                    f"{s['rss_mib_last']:.0f} MiB (max {s['rss_mib_max']:.0f})"
                )
            report["server_rss_mib"] = rss_mib(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                report["server_exit_code"] = process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()
                report["server_exit_code"] = None
    if opts.peer:
        report["peer"] = measure_peer(opts.peer.rstrip("/"), sentences, opts)
        report["peer_ratios"] = peer_ratios(report)
    report["offline"] = best_offline(before, offline(model, sentences, opts))
    off = report["offline"]
    print(
        f"offline: engine all at once {off['engine_batch_sent_per_s']:.1f} sent/s, "
        f"engine one by one {off['engine_single_sent_per_s']:.1f} sent/s, "
        f"pipeline all at once {off['pipeline_batch_sent_per_s']:.1f} sent/s"
    )
    for level in report.get("server", []):
        level["ratio_to_engine_batch"] = level["sent_per_s"] / off["engine_batch_sent_per_s"]
        level["ratio_to_pipeline_batch"] = level["sent_per_s"] / off["pipeline_batch_sent_per_s"]
        print(table_row(level))
    if opts.json_out:
        Path(opts.json_out).write_text(json.dumps(report, indent=2) + "\n")
    return report


def table_row(r: dict) -> str:
    return (
        f"{r['clients']:>3} clients: {r['sent_per_s']:7.1f} sent/s "
        f"({r['ratio_to_engine_batch']:.2f}x engine batch, "
        f"{r['ratio_to_pipeline_batch']:.2f}x pipeline batch)  "
        f"p50 {r['p50_ms']:6.0f} ms  p95 {r['p95_ms']:6.0f} ms  p99 {r['p99_ms']:6.0f} ms  "
        f"{r['segments_per_call']:.1f} sent/engine call  errors {r['errors']}"
    )


if __name__ == "__main__":
    main()
