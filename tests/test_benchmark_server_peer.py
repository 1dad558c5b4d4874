"""benchmarks/server.py --peer URL: the same client levels against any LibreTranslate-compatible
server (here a stand-in that answers /translate and has no /ready), with dilmanc ÷ peer ratios
and the peer's RSS from --peer-pid. No timing assertions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "server.py"


class _Peer(BaseHTTPRequestHandler):
    """LibreTranslate's /translate (JSON in, translatedText out); everything else 404."""

    seen: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Peer.seen.append(body)
        found = self.path == "/translate"
        payload = json.dumps({"translatedText": body["q"].upper()} if found else {}).encode()
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_server_benchmark_measures_a_peer(tmp_path, data_dir):
    peer = ThreadingHTTPServer(("127.0.0.1", 0), _Peer)
    threading.Thread(target=peer.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{peer.server_address[1]}"
    out = tmp_path / "server.json"
    cmd = [
        sys.executable, str(SCRIPT), "--mini", "--sentences", "6", "--tokens", "2",
        "--clients", "1,2", "--rounds", "1", "--glossary-entries", "0",
        "--work-dir", str(tmp_path / "work"), "--data-dir", str(data_dir),
        "--peer", url + "/", "--peer-pid", str(os.getpid()), "--api-key", "k",
        "--json", str(out),
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "DILMANC_HOME": str(tmp_path / "home")}
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    finally:
        peer.shutdown()
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    levels = report["peer"]["server"]
    assert [level["clients"] for level in levels] == [1, 2]
    assert all(level["requests"] == 6 and level["errors"] == 0 for level in levels)
    assert report["peer"]["url"] == url and report["peer"]["rss_mib"] > 0
    assert {body["api_key"] for body in _Peer.seen} == {"k"}
    ratios = report["peer_ratios"]
    assert set(ratios) == {
        "p50_1_clients", "p50_2_clients", "sent_per_s_1_clients", "sent_per_s_2_clients", "rss"
    }  # fmt: skip
    assert ratios["rss"] == report["server_rss_mib"] / report["peer"]["rss_mib"]
    assert "dilmanc / peer:" in done.stdout
