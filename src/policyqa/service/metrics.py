"""Prometheus metrics with a registry per app (never the process-global one).

* ``policyqa_http_requests_total{method, route, status}`` and
  ``policyqa_http_request_duration_seconds{method, route}`` — ``route`` is the route *template*
  (``/api/documents/{doc_id}``), ``unmatched`` when no route matched; ``method`` is one of
  :data:`KNOWN_METHODS` or ``other``; ``status`` a status class's code (``100``–``599``, else
  ``other``) — every label comes from a bounded set, whatever a client sends;
* ``policyqa_questions_total{channel}`` and ``policyqa_refusals_total{channel}`` (greetings and thanks
  apart, in ``policyqa_small_talk_total{channel}``);
* ``policyqa_feedback_total{helpful}``;
* ``policyqa_index_documents`` / ``policyqa_index_chunks`` / ``policyqa_index_building``
  gauges, read from the index manager at scrape time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..manager import IndexManager

#: Methods counted under their own name; anything else (``M123``, ``PROPFIND`` …) is ``other``.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The metrics of one app instance."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, manager: IndexManager | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "policyqa_http_requests", "HTTP requests by route template and status.",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "policyqa_http_request_duration_seconds", "HTTP request latency by route template.",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self.questions = Counter("policyqa_questions", "Questions answered.", ["channel"], registry=self.registry)
        self.refusals = Counter(
            "policyqa_refusals", "Questions refused (no relevant policy found).", ["channel"], registry=self.registry
        )
        self.small_talk = Counter(
            "policyqa_small_talk", "Greetings and thanks (not counted as questions or refusals).", ["channel"],
            registry=self.registry,
        )
        self.feedback = Counter("policyqa_feedback", "Feedback votes.", ["helpful"], registry=self.registry)
        if manager is not None:
            self._index_gauges(manager)

    def _index_gauges(self, manager: IndexManager) -> None:
        def reader(field: str) -> Callable[[], float]:
            def read() -> float:
                status = manager.status()
                return float(getattr(status, field))

            return read

        Gauge("policyqa_index_documents", "Documents in the index answering now.",
              registry=self.registry).set_function(reader("documents"))
        Gauge("policyqa_index_chunks", "Chunks in the index answering now.",
              registry=self.registry).set_function(reader("chunks"))
        Gauge("policyqa_index_building", "1 while a background rebuild runs.", registry=self.registry
              ).set_function(lambda: 1.0 if manager.status().state == "building" else 0.0)
        Gauge("policyqa_index_ready", "1 once an index is loaded.", registry=self.registry
              ).set_function(lambda: 1.0 if manager.ready else 0.0)

    def observe_answer(self, refused: bool, channel: str = "web", *, small_talk: bool = False) -> None:
        """Count a question (and a refusal); a greeting or thanks is counted apart (``small_talk``)."""
        if small_talk:
            self.small_talk.labels(channel).inc()
            return
        self.questions.labels(channel).inc()
        if refused:
            self.refusals.labels(channel).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware (safe with streaming responses) counting requests by route template."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            method, template, code = request_labels(scope, status)
            self.metrics.requests.labels(method, template, code).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)


def request_labels(scope: Scope, status: int) -> tuple[str, str, str]:
    """``(method, route, status)`` label values from bounded sets (see the module doc)."""
    method = str(scope.get("method", "")).upper()
    if method not in KNOWN_METHODS:
        method = "other"
    route = scope.get("route")
    template = getattr(route, "path", None) if route is not None else None
    if not isinstance(template, str) or not template:
        template = "unmatched"
    code = str(status) if 100 <= status <= 599 else "other"
    return method, template, code
