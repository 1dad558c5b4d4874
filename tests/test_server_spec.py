"""The server's own OpenAPI document: every operation's parameters, bodies and real statuses,
served at /spec (as LibreTranslate) and /openapi.json, and schemathesis run against it (a
bounded run: a fixed seed, a few examples per operation, about a minute)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests
from server_helpers import DoubleService, double_config, live_server

from dilmanc.server.spec import OPERATIONS


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    config = double_config(tmp_path_factory.mktemp("srv"), suggestions=True)
    with live_server(config, DoubleService.make()) as server:
        yield server


def test_every_operation_is_described(live):
    spec = requests.get(live.url + "/openapi.json").json()
    assert requests.get(live.url + "/spec").json() == spec
    operations = {(m.upper(), p): op for p, ms in spec["paths"].items() for m, op in ms.items()}
    assert set(operations) == set(OPERATIONS)
    for (method, path), op in operations.items():
        statuses = set(op["responses"])
        assert "422" not in statuses, f"{method} {path}: the server never answers 422"
        assert any(s.startswith("2") for s in statuses), f"{method} {path}: {statuses}"
        if method == "POST":
            assert op["requestBody"]["content"], f"{method} {path} has no body"
    translate = operations[("POST", "/translate")]
    assert set(translate["requestBody"]["content"]) == {
        "application/json",
        "application/x-www-form-urlencoded",
    }
    assert {"400", "403", "429"} <= set(translate["responses"])
    body = spec["components"]["schemas"]["LtTranslateRequest"]
    assert set(body["required"]) == {"q", "source", "target"}
    assert {"enum": ["en", "ru"]} in body["properties"]["target"]["anyOf"]


def test_schemathesis_on_the_servers_own_spec(live, tmp_path):
    checks = "not_a_server_error,status_code_conformance,response_schema_conformance"
    result = subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "run", live.url + "/openapi.json",
         "--checks", checks, "--max-examples", "5", "--seed", "18", "--workers", "1",
         "--generation-database", "none", "--request-timeout", "60", "--no-color"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    total = f"{len(OPERATIONS)} selected / {len(OPERATIONS)} total"
    assert " passed" in result.stdout and total in result.stdout
