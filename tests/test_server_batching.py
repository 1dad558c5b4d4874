"""BatchingEngine: calls from many threads merged into shared engine calls, in order, with
errors, a bounded queue and deadlines (no timing assertions: a gate holds the engine busy so
requests pile up deterministically)."""

from __future__ import annotations

import threading
import time

import pytest
from doubles import DictEngine

from dilmanc.engines.base import DecodeOptions
from dilmanc.languages import resolve
from dilmanc.server.batching import DEADLINE, Activity, BatchingEngine, Busy, Timeout

AZ, EN, RU = resolve("az"), resolve("en"), resolve("ru")


class GatedEngine(DictEngine):
    """A DictEngine whose decode waits for `gate` while `hold` is set."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.hold = True
        self.fail_on: str | None = None

    def _translate_encoded(self, batch, source, target, **decode):
        self.entered.set()
        if self.hold:
            self.gate.wait(30)
        texts = [" ".join(tokens) for tokens in batch]
        if self.fail_on in texts:
            raise RuntimeError("engine failed")
        return super()._translate_encoded(batch, source, target, **decode)


def _submit(batcher, texts, target=EN, results=None, errors=None, index=0):
    def run():
        try:
            results[index] = batcher.translate_results(texts, AZ, target, DecodeOptions())
        except Exception as err:  # noqa: BLE001 - the test inspects it
            errors[index] = err

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _wait_queued(batcher, count):
    deadline = time.monotonic() + 30
    while batcher.queued < count:
        assert time.monotonic() < deadline, "requests did not queue"
        time.sleep(0.005)


def test_requests_waiting_together_are_decoded_in_one_engine_call():
    engine = GatedEngine({"Salam.": "Hello."})
    batcher = BatchingEngine(engine, window=0.0, max_segments=64)
    results, errors = [None] * 6, [None] * 6
    try:
        first = _submit(batcher, ["birinci"], results=results, errors=errors, index=0)
        assert engine.entered.wait(30)  # the engine is busy with the first request
        threads = [
            _submit(batcher, [f"cümlə {i}", "Salam."], results=results, errors=errors, index=i)
            for i in range(1, 6)
        ]
        _wait_queued(batcher, 10)
        engine.hold = False
        engine.gate.set()
        for thread in [first, *threads]:
            thread.join(30)
    finally:
        batcher.close()
    assert errors == [None] * 6
    assert [r.text for r in results[0]] == ["<en> birinci"]
    for i in range(1, 6):  # each request gets its own results, in its own order
        assert [r.text for r in results[i]] == [f"<en> cümlə {i}", "Hello."]
    # one call for the first request, one for the five that waited; "Salam." decoded once
    assert len(engine.calls) == 2
    assert sorted(engine.calls[1][1]) == sorted([f"cümlə {i}" for i in range(1, 6)] + ["Salam."])
    assert batcher.stats.calls == 2 and batcher.stats.jobs == 6
    assert batcher.stats.segments == 11 and batcher.stats.unique == 7


def test_different_targets_are_not_mixed_and_max_segments_splits_calls():
    engine = GatedEngine()
    batcher = BatchingEngine(engine, window=0.0, max_segments=3)
    results, errors = [None] * 4, [None] * 4
    try:
        first = _submit(batcher, ["a"], results=results, errors=errors, index=0)
        assert engine.entered.wait(30)
        others = [
            _submit(batcher, ["b", "c"], EN, results, errors, 1),
            _submit(batcher, ["d"], RU, results, errors, 2),
            _submit(batcher, ["e", "f"], EN, results, errors, 3),
        ]
        _wait_queued(batcher, 5)
        engine.hold = False
        engine.gate.set()
        for thread in [first, *others]:
            thread.join(30)
    finally:
        batcher.close()
    assert errors == [None] * 4
    assert [r.text for r in results[2]] == ["<ru> d"]
    assert [r.text for r in results[3]] == ["<en> e", "<en> f"]
    for _target, texts in engine.calls:
        assert len(texts) <= 3
        assert all(text in "abcdef" for text in texts)
    assert ("ru", ["d"]) in engine.calls


def test_an_engine_error_reaches_every_request_of_that_call_and_the_worker_lives():
    engine = GatedEngine()
    engine.hold = False
    engine.fail_on = "boom"
    batcher = BatchingEngine(engine, window=0.0)
    try:
        with pytest.raises(RuntimeError, match="engine failed"):
            batcher.translate_results(["boom"], AZ, EN)
        assert [r.text for r in batcher.translate_results(["sonra"], AZ, EN)] == ["<en> sonra"]
    finally:
        batcher.close()


def test_a_full_queue_answers_busy_at_once():
    engine = GatedEngine()
    batcher = BatchingEngine(engine, window=0.0, max_queue=3)
    results, errors = [None] * 3, [None] * 3
    try:
        first = _submit(batcher, ["a"], results=results, errors=errors, index=0)
        assert engine.entered.wait(30)
        second = _submit(batcher, ["b", "c", "d"], results=results, errors=errors, index=1)
        _wait_queued(batcher, 3)
        with pytest.raises(Busy, match="queue is full"):
            batcher.translate_results(["e"], AZ, EN)
        assert batcher.stats.busy == 1
        engine.hold = False
        engine.gate.set()
        first.join(30)
        second.join(30)
    finally:
        batcher.close()
    assert errors[:2] == [None, None]


def test_a_request_past_its_deadline_times_out_and_its_job_is_dropped():
    engine = GatedEngine()
    batcher = BatchingEngine(engine, window=0.0)
    results, errors = [None], [None]
    try:
        first = _submit(batcher, ["a"], results=results, errors=errors, index=0)
        assert engine.entered.wait(30)
        token = DEADLINE.set(time.monotonic() + 0.05)
        try:
            with pytest.raises(Timeout):
                batcher.translate_results(["late"], AZ, EN)
        finally:
            DEADLINE.reset(token)
        assert batcher.queued == 0
        engine.hold = False
        engine.gate.set()
        first.join(30)
    finally:
        batcher.close()
    assert all("late" not in texts for _, texts in engine.calls)
    assert batcher.stats.timeouts == 1


def test_close_finishes_queued_work_first():
    engine = GatedEngine()
    batcher = BatchingEngine(engine, window=0.0)
    results, errors = [None] * 2, [None] * 2
    first = _submit(batcher, ["a"], results=results, errors=errors, index=0)
    assert engine.entered.wait(30)
    second = _submit(batcher, ["b"], results=results, errors=errors, index=1)
    _wait_queued(batcher, 1)
    closer = threading.Thread(target=batcher.close)
    closer.start()
    engine.hold = False
    engine.gate.set()
    for thread in (first, second, closer):
        thread.join(30)
    assert [r.text for r in results[1]] == ["<en> b"]


def test_the_window_waits_for_running_requests_that_have_not_submitted_yet():
    """With activity saying two requests run, the worker holds the first one's job until
    the second arrives (window long enough never to expire in this test)."""
    engine = DictEngine()
    activity = Activity()
    batcher = BatchingEngine(engine, window=30.0, activity=activity)
    results, errors = [None] * 2, [None] * 2
    try:
        with activity, activity:
            first = _submit(batcher, ["a"], results=results, errors=errors, index=0)
            _wait_queued(batcher, 1)
            second = _submit(batcher, ["b"], results=results, errors=errors, index=1)
            first.join(30)
            second.join(30)
    finally:
        batcher.close()
    assert engine.calls == [("en", ["a", "b"])]


def test_the_wrapper_speaks_the_engine_interface(tiny_marian_dir):
    from dilmanc.engines.registry import load_engine

    inner = load_engine(str(tiny_marian_dir))
    batcher = BatchingEngine(inner, window=0.0)
    try:
        options = DecodeOptions(beam_size=1, max_length=8)
        direct = [r.text for r in inner.translate_results(["Salam dünya."], AZ, EN, options)]
        merged = list(batcher.iter_results(["Salam dünya."], AZ, EN, options))
        assert [r.text for r in merged] == direct
        assert batcher.info() == inner.info()
        assert batcher.supports(AZ, EN) and not batcher.supports(AZ, RU)
        with pytest.raises(Exception, match="cannot translate az→ru"):
            batcher.translate_results(["Salam."], AZ, RU)
    finally:
        batcher.close()
