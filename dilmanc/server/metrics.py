"""Prometheus metrics for operators (`dilmanc serve --metrics`, served at GET /metrics).

Each server has its own `CollectorRegistry` (prometheus-client's), so several apps in one
process (the tests) do not share counts. Counters are updated where the events happen (the
request middleware, `Server.charge`, each merged engine call, each finished pipeline); queue
depth and document jobs are read from the server when /metrics is scraped.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from dilmanc.pipeline.reports import PipelineReport

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)
UNMATCHED = "unmatched"  # the route label of a path no route serves (bounded labels)
CONTENT_TYPE = CONTENT_TYPE_LATEST
ORIGINS = ("tm_context", "tm_exact", "cache", "machine")  # the label values of sentences


class _Jobs(Collector):
    """Document jobs by state, read from the job queue at scrape time."""

    def __init__(self, counts: Callable[[], dict[str, int]]) -> None:
        self.counts = counts

    def collect(self):
        family = GaugeMetricFamily(
            "dilmanc_document_jobs", "Document jobs known to the server, by state", labels=["state"]
        )
        for state, count in sorted(self.counts().items()):
            family.add_metric([state], count)
        yield family


class Metrics:
    """The server's metrics; `render()` is the body of GET /metrics."""

    def __init__(self, queued: Callable[[], int], job_counts: Callable[[], dict[str, int]]):
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "dilmanc_requests", "HTTP requests answered", ["route", "method", "status"], registry=r
        )
        self.latency = Histogram(
            "dilmanc_request_seconds",
            "Time from request to answer",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.characters = Counter(
            "dilmanc_characters", "Source characters accepted for translation", registry=r
        )
        self.batch_sizes = Histogram(
            "dilmanc_batch_segments",
            "Segments in each merged engine call",
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.sentences = Counter(
            "dilmanc_sentences",
            "Translated sentences by where the translation came from "
            "(memory context/exact match, cache, machine)",
            ["origin"],
            registry=r,
        )
        for origin in ORIGINS:
            self.sentences.labels(origin)  # exported at 0 before the first one
        queue = Gauge("dilmanc_queue_segments", "Segments waiting for the engines", registry=r)
        queue.set_function(lambda: float(queued()))
        r.register(_Jobs(job_counts))

    def request(self, route: str | None, method: str, status: int, seconds: float) -> None:
        route = route or UNMATCHED
        self.requests.labels(route, method or "?", str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def batch(self, segments: int) -> None:
        self.batch_sizes.observe(segments)

    def pipeline(self, report: PipelineReport) -> None:
        """Count a finished pipeline's sentences by origin (cache and memory hits)."""
        memory = report.memory
        counts = (memory.context, memory.exact, memory.cache, memory.machine)
        for origin, count in zip(ORIGINS, counts, strict=True):
            if count:
                self.sentences.labels(origin).inc(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
