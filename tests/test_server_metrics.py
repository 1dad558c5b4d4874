"""`dilmanc serve --metrics`: GET /metrics in Prometheus format, scraped from a live server
and read with prometheus-client's own parser; without the option the route is absent."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families
from server_helpers import AZ, DoubleService, double_config, live_server


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics: (name, sorted labels) → value."""
    response = requests.get(url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_count_requests_characters_batches_and_memory_hits(tmp_path):
    config = double_config(tmp_path / "srv", metrics=True, suggestions=True)
    service = DoubleService.make(memory=str(tmp_path / "memory.db"), use_tm=True, use_cache=True)
    with live_server(config, service) as live:
        lt = {"q": AZ[0], "source": "az", "target": "en"}
        for _ in range(2):  # the second is answered from the machine-translation cache
            assert requests.post(live.url + "/translate", json=lt).status_code == 200
        suggestion = {"q": AZ[1], "s": "New books.", "source": "az", "target": "en"}
        assert requests.post(live.url + "/suggest", json=suggestion).json() == {"success": True}
        exact = {"q": AZ[1], "source": "az", "target": "en"}  # a memory match now
        assert requests.post(live.url + "/translate", json=exact).json() == {
            "translatedText": "New books."
        }
        deepl = requests.post(
            live.url + "/v2/translate", json={"text": [AZ[2], AZ[3]], "target_lang": "RU"}
        )
        assert deepl.status_code == 200
        assert requests.post(live.url + "/translate", json={"q": "x"}).status_code == 400
        requests.get(live.url + "/no-such-route")
        samples = scrape(live.url)

    def value(name, **labels):
        return samples[(name, tuple(sorted(labels.items())))]

    requests_ok = value("dilmanc_requests_total", route="/translate", method="POST", status="200")
    assert requests_ok == 3
    assert value("dilmanc_requests_total", route="/translate", method="POST", status="400") == 1
    assert value("dilmanc_requests_total", route="/v2/translate", method="POST", status="200") == 1
    assert value("dilmanc_requests_total", route="unmatched", method="GET", status="404") == 1
    assert value("dilmanc_request_seconds_count", route="/translate") == 4
    assert value("dilmanc_request_seconds_bucket", route="/translate", le="+Inf") == 4
    chars = 2 * len(AZ[0]) + len(AZ[1]) + len(AZ[2]) + len(AZ[3])
    assert value("dilmanc_characters_total") == chars
    assert value("dilmanc_sentences_total", origin="cache") == 1
    assert value("dilmanc_sentences_total", origin="tm_exact") == 1
    assert value("dilmanc_sentences_total", origin="machine") == 3  # AZ[0], AZ[2], AZ[3]
    assert value("dilmanc_queue_segments") == 0
    # the model ran three times (AZ[0]; AZ[2] with AZ[3] merged in one call)
    assert value("dilmanc_batch_segments_count") == 2
    assert value("dilmanc_batch_segments_sum") == 3
    assert value("dilmanc_document_jobs", state="done") == 0


def test_without_the_option_there_is_no_metrics_route(tmp_path):
    with live_server(double_config(tmp_path / "srv"), DoubleService.make()) as live:
        assert requests.get(live.url + "/metrics").status_code == 404
        assert "/metrics" not in requests.get(live.url + "/openapi.json").json()["paths"]


def test_the_metrics_route_is_no_api_operation(tmp_path):
    """An operator's route: outside the OpenAPI document (tests/test_server_spec.py holds
    the document to every route it lists)."""
    with live_server(double_config(tmp_path / "srv", metrics=True), DoubleService.make()) as live:
        assert requests.get(live.url + "/metrics").status_code == 200
        assert "/metrics" not in requests.get(live.url + "/openapi.json").json()["paths"]
