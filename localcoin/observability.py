"""What operators watch: a request id in every log line, Prometheus metrics, a body size limit.

One ASGI middleware (not BaseHTTPMiddleware: it must not buffer responses or
break streaming) that, for every request:

- takes the caller's ``X-Request-ID`` when it is a sane token, or makes one,
  binds it to structlog's context so every line logged while serving carries
  it, and returns it in the response;
- refuses a body over ``request_body_max_bytes`` with 413 ``request_too_large``
  before the application reads it (by Content-Length, and by counting for a
  chunked body);
- counts the request and times it by route template (never the raw path, so
  ids in URLs cannot explode the metric's labels) and logs one access line
  with method, route, status and duration: never headers, bodies or query
  strings, where keys, tokens and PINs travel.

``/metrics`` adds what the database knows at scrape time: ledger entries,
charges, the webhook outbox and its backlog of pending deliveries, and the
connection pool.
"""

import ipaddress
import re
import time
import uuid
from collections.abc import Iterator
from http import HTTPStatus

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kit.auth import current_key
from kit.caller import bearer_of
from kit.credentials import Role
from kit.errors import Code
from kit.problems import Problem, problem_response

log = structlog.get_logger("localcoin.http")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
REQUEST_ID_HEADER = "x-request-id"
_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class HttpMetrics:
    """The process's request counters, in a registry of its own (one per app)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "localcoin_http_requests",
            "HTTP requests answered, by route template and status.",
            ["method", "route", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "localcoin_http_request_duration_seconds",
            "Time to answer a request, by route template.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.refused_large = Counter(
            "localcoin_http_requests_too_large",
            "Requests refused because the body was over the limit.",
            registry=registry,
        )


# A BaseException so that no handler on the way (FastAPI answers 400 to any Exception
# while reading a body) turns a chunked body over the limit into something else than 413.
class _TooLarge(BaseException):  # a signal inside the middleware, never raised out
    pass


# On every answer: no content sniffing (a JSON error must never be run as a
# script); in production also HSTS (a year) and no Referer leaving our pages.
ALWAYS_HEADERS = ((b"x-content-type-options", b"nosniff"),)
PRODUCTION_HEADERS = (
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"referrer-policy", b"no-referrer"),
)


def security_headers(*, production: bool) -> tuple[tuple[bytes, bytes], ...]:
    return ALWAYS_HEADERS + (PRODUCTION_HEADERS if production else ())


class ObservabilityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        metrics: HttpMetrics,
        body_max_bytes: int,
        headers: tuple[tuple[bytes, bytes], ...] = ALWAYS_HEADERS,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.body_max_bytes = body_max_bytes
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        started = time.perf_counter()
        status = 500
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            if _declared_length(scope) > self.body_max_bytes:
                self.metrics.refused_large.inc()
                status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE.value
                await self._too_large(scope, receive, send, request_id)
                return
            seen = 0

            async def counted_receive() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.body_max_bytes:
                        raise _TooLarge
                return message

            async def tagged_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                    present = {name.lower() for name, _ in headers}
                    headers += [h for h in self.headers if h[0] not in present]
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await self.app(scope, counted_receive, tagged_send)
            except _TooLarge:
                self.metrics.refused_large.inc()
                status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE.value
                await self._too_large(scope, receive, send, request_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            log.info(
                "request",
                method=method,
                route=route,
                status=status,
                duration_ms=round(elapsed * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        response = problem_response(
            Code.REQUEST_TOO_LARGE,
            f"a request body is at most {self.body_max_bytes} bytes",
        )
        response.headers[REQUEST_ID_HEADER] = request_id
        await response(scope, receive, send)


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = bytes(value).decode("latin-1")
            if _REQUEST_ID.fullmatch(candidate):
                return candidate
    return uuid.uuid4().hex


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0


def _route_template(scope: Scope) -> str:
    """The path with each path parameter's value put back as ``{name}``.

    Built from the request path rather than the matched route's own path: a
    route of a router included in another router knows only its part of the
    path, without the outer prefix.
    """
    if scope.get("route") is None:
        return "unmatched"
    names = {str(value): name for name, value in scope.get("path_params", {}).items()}
    segments = str(scope.get("path", "")).split("/")
    return "/".join(f"{{{names[s]}}}" if s in names else s for s in segments)


class DatabaseCollector(Collector):
    """Figures read from the database at scrape time (estimates where counting is costly)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pool = self.engine.pool
        in_use = GaugeMetricFamily(
            "localcoin_db_pool_connections_in_use", "Pooled connections checked out now."
        )
        in_use.add_metric([], float(getattr(pool, "checkedout", lambda: 0)()))
        yield in_use
        size = GaugeMetricFamily("localcoin_db_pool_size", "The pool's configured size.")
        size.add_metric([], float(getattr(pool, "size", lambda: 0)()))
        yield size
        try:
            rows = self._table_estimates()
        except Exception:
            up = GaugeMetricFamily("localcoin_db_up", "1 when the database answered the scrape.")
            up.add_metric([], 0.0)
            yield up
            return
        up = GaugeMetricFamily("localcoin_db_up", "1 when the database answered the scrape.")
        up.add_metric([], 1.0)
        yield up
        names = {
            "entries": ("localcoin_ledger_entries", "Ledger entries (planner estimate)."),
            "charges": ("localcoin_payments", "Payments (charges) recorded (planner estimate)."),
            "webhook_events": ("localcoin_webhook_events", "Webhook events in the outbox."),
        }
        for table, (metric, help_text) in names.items():
            family = GaugeMetricFamily(metric, help_text)
            family.add_metric([], float(rows.get(table, 0)))
            yield family
        yield from self._webhook_backlog()

    def _webhook_backlog(self) -> Iterator[GaugeMetricFamily]:
        """Deliveries still owed to integrators: counted exactly (the partial index on
        pending deliveries keeps it small), with the oldest one's creation time so an
        alert can fire on ``time() - oldest`` when the worker falls behind or stops."""
        try:
            with self.engine.connect() as conn:
                pending, oldest = conn.execute(
                    text(
                        "SELECT count(*), extract(epoch FROM min(created_at))"
                        " FROM webhook_deliveries WHERE status = 'pending'"
                    )
                ).one()
        except Exception:
            return  # localcoin_db_up already says why there are no figures
        backlog = GaugeMetricFamily(
            "localcoin_webhook_deliveries_pending", "Webhook deliveries not yet delivered."
        )
        backlog.add_metric([], float(pending))
        yield backlog
        since = GaugeMetricFamily(
            "localcoin_webhook_oldest_pending_created_timestamp_seconds",
            "When the oldest pending delivery was created (0 when none is pending).",
        )
        since.add_metric([], float(oldest or 0))
        yield since

    def _table_estimates(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT relname, greatest(n_live_tup, 0) FROM pg_stat_user_tables"
                    " WHERE relname IN ('entries', 'charges', 'webhook_events')"
                )
            ).all()
        return {row[0]: int(row[1]) for row in rows}


def _from_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def install(app: FastAPI, *, engine: Engine, body_max_bytes: int, production: bool) -> None:
    registry = CollectorRegistry()
    metrics = HttpMetrics(registry)
    registry.register(DatabaseCollector(engine))
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=metrics,
        body_max_bytes=body_max_bytes,
        headers=security_headers(production=production),
    )

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        """For this machine's own scraper (loopback), or with an operator's key: the
        figures say how busy every coin is, which is nobody else's business."""
        if not _from_loopback(request):
            secret = bearer_of(request)
            credentials = (
                None
                if secret is None
                else HTTPAuthorizationCredentials(scheme="Bearer", credentials=secret)
            )
            key = current_key(request, credentials)
            if key.role is not Role.OPERATOR:
                raise Problem(Code.FORBIDDEN, "metrics are for the operator")
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    app.state.metrics = metrics
