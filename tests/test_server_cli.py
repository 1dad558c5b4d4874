"""`dilmanc serve`: option errors are one line with exit 2/3 before anything listens; a real
server process answers a real client and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from server_helpers import AZ

ROOT = Path(__file__).resolve().parents[1]


def _one_line(result, code: int, *needles: str) -> None:
    assert result.code == code, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dilmanc: error: "), result.err
    for needle in needles:
        assert needle in lines[0]


def test_no_model_is_a_usage_error(cli):
    _one_line(cli(["serve"]), 2, "no model given")


def test_binding_beyond_loopback_needs_keys(cli, tiny_marian_dir):
    result = cli(["serve", "--model", tiny_marian_dir, "--host", "0.0.0.0"])
    _one_line(result, 2, "serving 0.0.0.0 without API keys", "--api-keys FILE")


def test_bad_settings_name_their_option(cli, tiny_marian_dir):
    _one_line(cli(["serve", "--model", tiny_marian_dir, "--beam", "0"]), 2, "--beam must")
    _one_line(cli(["serve", "--model", tiny_marian_dir, "--to", "zz"]), 2, "unknown language")


def test_cors_origins_option(cli, tiny_marian_dir, monkeypatch):
    serve = ["serve", "--model", tiny_marian_dir, "--port", "0"]
    _one_line(cli([*serve, "--cors-origins", "app.example"]), 2, "--cors-origins", "not an origin")
    seen = []
    monkeypatch.setattr("dilmanc.cli.serve.run", lambda config, *_: seen.append(config))
    for value, origins in (
        (None, ("*",)),
        (
            "https://a.example, http://b.example:8080/",
            ("https://a.example", "http://b.example:8080"),
        ),
        ("none", ()),
    ):
        option = [] if value is None else ["--cors-origins", value]
        assert cli([*serve, *option]).code == 0
        assert seen.pop().cors_origins == origins


def test_metrics_option(cli, tiny_marian_dir, monkeypatch):
    seen = []
    monkeypatch.setattr("dilmanc.cli.serve.run", lambda config, *_: seen.append(config))
    serve = ["serve", "--model", tiny_marian_dir, "--port", "0"]
    assert cli(serve).code == 0 and seen.pop().metrics is False
    assert cli([*serve, "--metrics"]).code == 0 and seen.pop().metrics is True


def test_a_missing_keys_file_is_one_line(cli, tiny_marian_dir, tmp_path):
    result = cli(["serve", "--model", tiny_marian_dir, "--api-keys", tmp_path / "none.json"])
    _one_line(result, 2, "none.json: no such file", "--new-key")


def test_new_key_prints_it_once_and_stores_its_hash(cli, tmp_path):
    keys = tmp_path / "keys.json"
    _one_line(cli(["serve", "--new-key", "weblate"]), 2, "--api-keys FILE")
    result = cli(["serve", "--new-key", "weblate", "--api-keys", keys, "--key-quota", "1000"])
    assert result.code == 0
    token = result.out.strip()
    assert token.startswith("dk-") and len(token) > 30
    stored = json.loads(keys.read_text())["keys"]
    assert stored[0]["name"] == "weblate" and stored[0]["char_quota"] == 1000
    assert token not in keys.read_text()
    _one_line(cli(["serve", "--new-key", "weblate", "--api-keys", keys]), 2, "exists already")


def test_a_port_in_use_is_exit_3(cli, tiny_marian_dir):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli(["serve", "--model", tiny_marian_dir, "--port", port])
    _one_line(result, 3, f"cannot listen on 127.0.0.1:{port}")


def test_a_missing_model_is_exit_3_before_listening(cli, tmp_path):
    result = cli(["serve", "--model", tmp_path / "no-model"])
    assert result.code in (2, 3) and result.err.count("\n") == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_process_answers_and_stops_on_sigterm(tiny_marian_dir, tmp_path):
    port = _free_port()
    env = {**os.environ, "DILMANC_HOME": str(tmp_path / "home"), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dilmanc", "serve", "--model", str(tiny_marian_dir),
         "--host", "127.0.0.1", "--port", str(port), "--max-length", "12"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stderr.read()
            try:
                if requests.get(url + "/health", timeout=2).json() == {"status": "ok"}:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.2)
        from libretranslatepy import LibreTranslateAPI

        assert LibreTranslateAPI(url).translate(AZ[0], "az", "en").strip()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    entries = [json.loads(line) for line in err.splitlines() if line.strip()]  # all JSON lines
    events = [entry["event"] for entry in entries]
    assert "models loaded" in events and "stopped" in events
    (request,) = [e for e in entries if e["event"] == "request" and e["route"] == "/translate"]
    assert request["status"] == 200 and request["characters"] == len(AZ[0])
    assert AZ[0] not in err


def _served_targets(cli, monkeypatch, *args) -> list[str]:
    """The targets `dilmanc serve ARGS` would serve (the service is built, nothing listens)."""
    from dilmanc.pipeline.service import Service

    served: list[str] = []

    def run(config, sock, graceful):
        served.extend(t.iso for t in Service(config.settings).load().targets)

    monkeypatch.setattr("dilmanc.cli.serve.run", run)
    result = cli(["serve", "--port", "0", *args])
    assert result.code == 0, result.err
    return served


def test_without_to_every_language_the_models_write_is_served(
    cli, monkeypatch, tiny_nllb_dir, tiny_marian_dir
):
    from dilmanc.languages import LANGUAGES

    served = _served_targets(cli, monkeypatch, "--model", tiny_nllb_dir)
    assert served[:2] == ["en", "ru"]
    assert served == [lang.iso for lang in LANGUAGES if lang.iso != "az"]  # NLLB writes them all
    assert _served_targets(cli, monkeypatch, "--model", tiny_marian_dir) == ["en"]  # az→en only
    both = _served_targets(
        cli, monkeypatch, "--model", tiny_marian_dir, "-m", f"ru={tiny_nllb_dir}"
    )
    assert both == ["en", "ru"]
    assert _served_targets(cli, monkeypatch, "--model", tiny_nllb_dir, "--to", "ru") == ["ru"]
    _one_line(cli(["serve", "--model", tiny_nllb_dir, "--to", ","]), 2, "--to names no language")
