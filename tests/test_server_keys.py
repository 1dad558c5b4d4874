"""API keys and their usage on disk: keys added by another process while a server runs are
served at once and never erased; character usage survives a crash (SIGKILL) of a real
`dilmanc serve` process; wrong keys are rate limited per client address."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from server_helpers import AZ, DoubleService, double_config, live_server

from dilmanc.server.auth import KeyStore

ROOT = Path(__file__).resolve().parents[1]


def _names(path: Path) -> list[str]:
    return sorted(item["name"] for item in json.loads(path.read_text())["keys"])


def _translate(live, token: str, text: str = AZ[1]) -> requests.Response:
    payload = {"q": text, "source": "az", "target": "en", "api_key": token}
    return requests.post(live.url + "/translate", json=payload, timeout=30)


def test_a_key_added_while_serving_is_served_at_once_and_never_erased(cli, tmp_path):
    keys = tmp_path / "keys.json"
    first = KeyStore.load(keys, create=True).add("a")
    config = double_config(tmp_path / "srv", api_keys=keys)
    with live_server(config, DoubleService.make()) as live:
        assert _translate(live, first).status_code == 200  # usage to save at shutdown
        added = cli(["serve", "--new-key", "b", "--api-keys", keys])  # as the README says
        assert added.code == 0, added.err
        second = added.out.strip()
        assert _translate(live, second).status_code == 200  # no restart needed
        assert _translate(live, first).status_code == 200
    assert _names(keys) == ["a", "b"]  # the server's shutdown kept b
    again = KeyStore.load(keys)
    assert again.lookup(second) is not None and again.lookup(first) is not None


def test_keys_added_by_many_processes_at_once_are_all_kept(tmp_path):
    keys = tmp_path / "keys.json"
    KeyStore.load(keys, create=True).add("seed")
    stores = [KeyStore.load(keys) for _ in range(4)]  # each loaded before the others add
    errors: list[BaseException] = []

    def add_many(store: KeyStore, worker: int) -> None:
        try:
            for n in range(8):
                store.add(f"w{worker}-{n}")
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=add_many, args=(s, i)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(_names(keys)) == 1 + 4 * 8


def test_a_removed_key_stops_working_without_a_restart(tmp_path):
    keys = tmp_path / "keys.json"
    store = KeyStore.load(keys, create=True)
    token = store.add("gone")
    served = KeyStore.load(keys)
    assert served.lookup(token) is not None
    data = json.loads(keys.read_text())
    keys.write_text(json.dumps({"keys": [k for k in data["keys"] if k["name"] != "gone"]}))
    assert served.lookup(token) is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(model_dir, keys: Path, home: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = {**os.environ, "DILMANC_HOME": str(home), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dilmanc", "serve", "--model", str(model_dir), "--port",
         str(port), "--max-length", "8", "--api-keys", str(keys), "--no-tm", "--no-cache"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        assert process.poll() is None, process.stderr.read()
        try:
            if requests.get(url + "/health", timeout=2).status_code == 200:
                return process, url
        except requests.ConnectionError:
            pass
        assert time.monotonic() < deadline, "server did not come up"
        time.sleep(0.2)


def test_usage_survives_sigkill_of_a_real_server(tiny_marian_dir, tmp_path):
    keys = tmp_path / "keys.json"
    token = KeyStore.load(keys, create=True).add("team", char_quota=10_000)
    process, url = _start(tiny_marian_dir, keys, tmp_path / "home")
    try:
        payload = {"q": AZ[0], "source": "az", "target": "en", "api_key": token}
        assert requests.post(url + "/translate", json=payload, timeout=60).status_code == 200
        upload = {"file": ("note.txt", (AZ[1] + "\n").encode())}
        form = {"source": "az", "target": "en", "api_key": token}
        done = requests.post(url + "/translate_file", files=upload, data=form, timeout=60)
        assert done.status_code == 200, done.text
        job = requests.post(
            url + "/v2/document",
            files={"file": ("job.txt", (AZ[2] + "\n").encode())},
            data={"target_lang": "EN-GB"},
            headers={"Authorization": f"DeepL-Auth-Key {token}"},
            timeout=60,
        )
        assert job.status_code == 200, job.text
    finally:
        process.send_signal(signal.SIGKILL)  # no shutdown code runs
        process.communicate(timeout=60)
    spent = len(AZ[0]) + len(AZ[1]) + len(AZ[2])
    config = double_config(tmp_path / "srv", targets=("en",), api_keys=keys, files=False)
    with live_server(config, DoubleService.make(targets=("en",))) as live:
        usage = requests.get(
            live.url + "/v2/usage", headers={"Authorization": f"DeepL-Auth-Key {token}"}
        ).json()
    assert usage == {"character_count": spent, "character_limit": 10_000}


def test_wrong_keys_are_rate_limited_per_client_address(tmp_path):
    from dilmanc.server.state import WRONG_KEYS

    keys = tmp_path / "keys.json"
    token = KeyStore.load(keys, create=True).add("right")
    config = double_config(tmp_path / "srv", api_keys=keys)
    with live_server(config, DoubleService.make()) as live:
        codes = [_translate(live, f"dk-guess-{n}").status_code for n in range(WRONG_KEYS + 2)]
        assert codes == [403] * WRONG_KEYS + [429, 429]
        refused = _translate(live, "dk-guess-again").json()
        assert refused == {"error": f"Slowdown: {WRONG_KEYS} wrong API keys per 1 minute"}
        deepl = requests.post(
            live.url + "/v2/translate",
            json={"text": ["Salam."], "target_lang": "EN-GB"},
            headers={"Authorization": "DeepL-Auth-Key dk-guess"},
        )
        assert deepl.status_code == 429 and deepl.json()["message"] == "Too many requests"
        assert _translate(live, token).status_code == 200  # the right key still works
