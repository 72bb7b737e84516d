"""Prometheus metrics: request counts and latency by route template, method and status."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

UNMATCHED_ROUTE = "<unmatched>"
# Methods outside this set are counted as OTHER, so a client cannot mint label values at will.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The HTTP metrics of one application, in a registry of its own."""

    def __init__(self, *, multiprocess_dir: Path | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ("method", "route", "status")
        self.requests = Counter(
            "http_requests",
            "HTTP requests handled, by route template, method and status.",
            labels,
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from receiving a request to sending the last byte of its response.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being handled now.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )

        # labels() validates and locks on every call; the children of a label set never change.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, *, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            label_values = (method if method in KNOWN_METHODS else "OTHER", route, str(status))
            children = (
                self.requests.labels(*label_values),
                self.latency.labels(*label_values),
            )
            self._children[key] = children
        requests, latency = children
        requests.inc()
        latency.observe(seconds)

    def exposition(self) -> bytes:
        # Several server worker processes each count their own requests; prometheus_client's
        # multiprocess mode (set up by `recipevault serve --workers N`) sums them on scrape.
        if self.multiprocess_dir is not None:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=str(self.multiprocess_dir))  # type: ignore[no-untyped-call]
            return generate_latest(registry)
        return generate_latest(self.registry)


router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics_endpoint(request: Request) -> Response:
    metrics: HttpMetrics = request.app.state.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
