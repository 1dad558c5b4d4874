"""Shutdown with a request still running past `--graceful-timeout`: the client gets the
API's JSON error (not uvicorn's text/plain 500) and the server exits at once, dropping the
engine work nobody waits for any more (only the engine call under way finishes)."""

from __future__ import annotations

import threading
import time

import requests
from doubles import DictEngine
from server_helpers import DoubleService, double_config, live_server

CALL_SECONDS = 0.4  # each engine call of the slow engine


class SlowEngine(DictEngine):
    def _translate_encoded(self, batch, source, target, **decode):
        time.sleep(CALL_SECONDS)
        return super()._translate_encoded(batch, source, target, **decode)


def test_a_request_cut_off_by_the_graceful_timeout_gets_json_and_the_server_exits(tmp_path):
    service = DoubleService.make(targets=("en",), engine_class=SlowEngine)
    config = double_config(tmp_path / "srv", targets=("en",), max_batch=1, timeout=120)
    texts = [f"Cümlə nömrə {n}." for n in range(60)]  # 60 engine calls: 24 s of work
    answer: dict = {}

    def long_request(url: str) -> None:
        response = requests.post(
            url + "/translate", json={"q": texts, "source": "az", "target": "en"}, timeout=120
        )
        answer.update(status=response.status_code, type=response.headers["content-type"],
                      body=response.json() if "json" in response.headers["content-type"]
                      else response.text)  # fmt: skip

    with live_server(config, service, graceful=1.0) as live:
        client = threading.Thread(target=long_request, args=(live.url,))
        client.start()
        deadline = time.monotonic() + 30
        while not live.server.activity.count:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(CALL_SECONDS)
        stopping = time.monotonic()
    stopped = time.monotonic() - stopping  # leaving the block shuts down and waits
    client.join(timeout=60)
    assert answer["type"] == "application/json", answer
    assert answer["status"] == 503 and "shutting down" in answer["body"]["error"]
    assert stopped < 1.0 + 3 * CALL_SECONDS + 1.0, f"exit took {stopped:.1f} s"
