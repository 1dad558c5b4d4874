"""Document jobs on disk: queued work survives a stop and a restart, an interrupted job goes
back to the queue with nothing half-written, and a job that fails says why."""

from __future__ import annotations

import json
import threading
import time

import requests
from doubles import DictEngine
from server_helpers import DoubleService, double_config, live_server

from dilmanc.errors import InputError
from dilmanc.server.documents import Interrupted
from dilmanc.server.jobs import DONE, ERROR, QUEUED, TRANSLATING, JobQueue


def _wait(predicate, what: str):
    deadline = time.monotonic() + 60
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _submit(queue, text=b"Salam.\n"):
    return queue.submit(text, "a.txt", "a.en.txt", source="az", target="en")


def test_jobs_are_stored_and_recovered(tmp_path):
    seen = []

    def runner(record, source, output, stop):
        seen.append(source.read_bytes())
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text("Hello.\n")
        return 6

    queue = JobQueue(tmp_path, runner)
    record, key = _submit(queue)
    meta = json.loads((tmp_path / record.id / "job.json").read_text())
    assert meta["status"] == QUEUED and key not in json.dumps(meta)  # only the key's hash
    again = JobQueue(tmp_path, runner)  # a restart before the worker ran: still queued
    assert again.get(record.id, key).status == QUEUED
    again.start()
    _wait(lambda: again.get(record.id, key).status == DONE, "the job")
    again.stop()
    done, path = again.result(record.id, key)
    assert (done.billed_characters, path.read_text()) == (6, "Hello.\n") and seen == [b"Salam.\n"]
    assert JobQueue(tmp_path, runner).get(record.id, key).status == DONE


def test_a_job_left_translating_is_queued_again_and_broken_uploads_are_removed(tmp_path):
    queue = JobQueue(tmp_path, lambda *a: 0)
    record, key = _submit(queue)
    meta = tmp_path / record.id / "job.json"
    meta.write_text(meta.read_text().replace(f'"{QUEUED}"', f'"{TRANSLATING}"'))
    (tmp_path / "HALF" / "input").mkdir(parents=True)  # an upload that never got its record
    recovered = JobQueue(tmp_path, lambda *a: 0)
    assert recovered.get(record.id, key).status == QUEUED
    assert not (tmp_path / "HALF").exists()


def test_stopping_interrupts_between_chunks_and_requeues(tmp_path):
    entered, release = threading.Event(), threading.Event()

    def runner(record, source, output, stop):
        entered.set()
        release.wait(30)
        if stop():
            raise Interrupted("stopping")
        return 1

    queue = JobQueue(tmp_path, runner)
    record, key = _submit(queue)
    queue.start()
    assert entered.wait(30)
    stopper = threading.Thread(target=queue.stop)
    stopper.start()
    _wait(lambda: queue.stopping, "the stop flag")
    release.set()
    stopper.join(30)
    assert queue.get(record.id, key).status == QUEUED
    assert JobQueue(tmp_path, runner).get(record.id, key).status == QUEUED


def test_a_failing_job_records_its_error_and_the_queue_goes_on(tmp_path):
    def runner(record, source, output, stop):
        if source.read_bytes() == b"bad":
            raise InputError("a.txt: line 3: broken")
        return 2

    queue = JobQueue(tmp_path, runner)
    bad, bad_key = _submit(queue, b"bad")
    good, good_key = _submit(queue, b"ok")
    queue.start()
    _wait(lambda: queue.get(good.id, good_key).status == DONE, "the second job")
    queue.stop()
    failed = queue.get(bad.id, bad_key)
    assert failed.status == ERROR
    assert failed.to_status() == {
        "document_id": bad.id,
        "status": ERROR,
        "error_message": "a.txt: line 3: broken",
    }


class GatedDict(DictEngine):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entered, self.gate = threading.Event(), threading.Event()

    def _translate_encoded(self, batch, source, target, **decode):
        self.entered.set()
        self.gate.wait(60)
        return super()._translate_encoded(batch, source, target, **decode)


def test_a_document_queued_at_shutdown_is_translated_after_restart(tmp_path):
    """SIGTERM-like shutdown while a document is being translated: the job goes back to
    queued with no output; the next server finishes it and the client downloads it."""
    config = double_config(tmp_path / "srv")
    gated = GatedDict(targets=("en", "ru"))
    service = DoubleService.make()
    service._engines = {"en": gated, "ru": gated}
    auth = {"Authorization": "DeepL-Auth-Key k"}
    with live_server(config, service) as first:
        upload = requests.post(
            first.url + "/v2/document",
            data={"target_lang": "EN-GB"},
            files={"file": ("qeyd.txt", "Salam.\nSağ ol.\n".encode())},
            headers=auth,
        )
        handle = upload.json()
        assert gated.entered.wait(60)  # the job is being translated
        jobs = first.server.jobs
        stopper = threading.Thread(target=setattr, args=(first.uvicorn, "should_exit", True))
        stopper.start()
        _wait(lambda: jobs.stopping, "the server to stop the job queue")
        gated.gate.set()
    folder = config.directory() / "jobs" / handle["document_id"]
    assert json.loads((folder / "job.json").read_text())["status"] == QUEUED
    assert not any((folder / "output").glob("*"))  # no output, no temporary left behind
    with live_server(config, DoubleService.make()) as second:
        url = second.url + f"/v2/document/{handle['document_id']}"
        key = {"document_key": handle["document_key"]}
        _wait(lambda: requests.post(url, json=key, headers=auth).json()["status"] == DONE, "job")
        result = requests.post(url + "/result", json=key, headers=auth)
        assert result.status_code == 200
        assert result.content.decode() == "<en> Salam.\n<en> Sağ ol.\n"
        status = requests.post(url, json=key, headers=auth).json()
        assert status == {
            "document_id": handle["document_id"],
            "status": "done",
            "billed_characters": len("Salam.") + len("Sağ ol."),
        }


def test_result_before_done_is_503_document_not_ready(tmp_path):
    gated = GatedDict(targets=("en", "ru"))
    service = DoubleService.make()
    service._engines = {"en": gated, "ru": gated}
    with live_server(double_config(tmp_path / "srv"), service) as live:
        handle = requests.post(
            live.url + "/v2/document",
            data={"target_lang": "RU"},
            files={"file": ("a.txt", b"Salam.\n")},
        ).json()
        response = requests.post(
            live.url + f"/v2/document/{handle['document_id']}/result",
            json={"document_key": handle["document_key"]},
        )
        assert response.status_code == 503 and response.json()["message"] == "Document not ready"
        gated.gate.set()


def test_seconds_remaining_is_an_integer_given_only_while_translating(tmp_path):
    """DeepL's schema: `seconds_remaining` is an integer, present only while translating."""
    gated = GatedDict(targets=("en", "ru"))
    service = DoubleService.make()
    service._engines = {"en": gated, "ru": gated}
    with live_server(double_config(tmp_path / "srv"), service) as live:

        def upload(name):
            return requests.post(
                live.url + "/v2/document",
                data={"target_lang": "RU"},
                files={"file": (name, "Salam.\nSağ ol.\nBu gün hava gözəldir.\n".encode())},
            ).json()

        def status(handle):
            url = live.url + f"/v2/document/{handle['document_id']}"
            return requests.post(url, json={"document_key": handle["document_key"]}).json()

        first = upload("a.txt")
        assert gated.entered.wait(60)
        second = upload("b.txt")  # waits behind the first
        translating, queued = status(first), status(second)
        assert translating["status"] == TRANSLATING and queued["status"] == QUEUED
        remaining = translating["seconds_remaining"]
        assert isinstance(remaining, int) and remaining >= 0
        assert "seconds_remaining" not in queued
        gated.gate.set()
        _wait(lambda: status(second)["status"] == DONE, "both jobs")
        assert "seconds_remaining" not in status(first)
