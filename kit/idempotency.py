"""``Idempotency-Key`` on every POST, built once for the whole API (IETF httpapi draft).

- The same key with the same request (method, path, body) returns the first
  response again: same status, same body, refusals included, with the header
  ``Idempotent-Replayed: true``.
- The same key with a different request is refused: 422 ``idempotency_key_reused``.
- A duplicate that arrives while the first is still running waits for the
  first's answer and replays it; after ``IN_FLIGHT_WAIT_S`` it gets 409
  ``idempotency_key_in_flight``. Concurrent duplicates therefore move money once.
- A 429 or a 5xx answer is not kept: the work rolls back and the key stays
  free, so a retry under it runs afresh.
- Keys are scoped to the caller (the API key, or the resident, or for public
  calls the client address) and kept at least ``KEEP_H`` hours.

How: a POST route declared with ``IdempotentRoute`` runs in one transaction,
the request's single commit point. The key's row is inserted first, so a
duplicate blocks on the primary key until that transaction ends. The work
then runs under a savepoint. A refusal (a problem, a ledger refusal, invalid
input) rolls the work back to it but keeps the key's row, which stores the
refusal, and both commit together: the books never hold a change whose answer
was lost, and a crash before COMMIT leaves neither.

Routes reach the transaction through the ``Db`` dependency.
"""

import hashlib
import random
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any

import anyio
import psycopg
from fastapi import Depends, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import Connection, Engine, NestedTransaction, RootTransaction, text
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from kit.access_tokens import public_id_in
from kit.errors import Code
from kit.problems import problem_for, problem_response
from ledger.clock import Clock
from ledger.errors import is_retryable
from ledger.limits import RETRIES_MAX
from ledger.unit_of_work import backoff_s

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_LENGTH_MAX = 255
IN_FLIGHT_WAIT_S = 10
KEEP_H = 48
BODY_BYTES_MAX = 64 * 1024

_rng = random.Random()  # noqa: S311 - jitter, not a secret


def caller_scope(request: Request) -> str:
    """Who is asking, for scoping keys: the credential's stable id, never the secret."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    if scheme.lower() == "bearer" and credential.startswith("lc_"):
        parts = credential.split("_")
        if len(parts) >= 4:
            return f"key:{parts[2]}"
    resident = public_id_in(credential) if scheme.lower() == "bearer" else None
    if resident is not None:
        return f"resident:{resident}"
    if scheme.lower() == "bearer" and credential:
        digest = hashlib.sha256(credential.encode()).hexdigest()[:32]
        return f"bearer:{digest}"
    host = request.client.host if request.client else "unknown"
    return f"public:{host}"


def request_fingerprint(method: str, path: str, body: bytes) -> bytes:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).digest()


async def _db(request: Request) -> Connection:
    # async: a plain function would cost the request a hop to the thread pool.
    conn: Connection | None = getattr(request.state, "db", None)
    assert conn is not None, "the route is not an IdempotentRoute or a ReadRoute"
    return conn


Db = Annotated[Connection, Depends(_db)]


class _Replay(Exception):  # noqa: N818 - control flow, not an error
    def __init__(self, response: Response) -> None:
        self.response = response


class IdempotentRoute(APIRoute):
    """A route whose POSTs run in one transaction under an idempotency key."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        run_route = super().get_route_handler()

        async def handler(request: Request) -> Response:
            if request.method != "POST":
                return await _plain(request, run_route)
            key = request.headers.get(HEADER)
            if key is not None and not (0 < len(key) <= KEY_LENGTH_MAX and key.isprintable()):
                return problem_response(
                    Code.IDEMPOTENCY_KEY_INVALID,
                    f"{HEADER} is 1 to {KEY_LENGTH_MAX} printable characters",
                )
            body = await request.body()
            if len(body) > BODY_BYTES_MAX:
                return problem_response(
                    Code.REQUEST_TOO_LARGE,
                    f"a request body is at most {BODY_BYTES_MAX} bytes",
                )
            return await _keyed(request, run_route, key, body)

        return handler


async def _plain(request: Request, run_route: Callable[[Request], Awaitable[Response]]) -> Response:
    engine: Engine = request.app.state.engine
    conn = await run_in_threadpool(engine.connect)
    try:
        request.state.db = conn
        response = await run_route(request)
    except BaseException:
        await run_in_threadpool(conn.close)
        raise
    return await run_in_threadpool(_commit_and_close, conn, response)


def _commit_and_close(conn: Connection, response: Response) -> Response:
    try:
        conn.commit()
        return response
    finally:
        conn.close()


async def _keyed(
    request: Request,
    run_route: Callable[[Request], Awaitable[Response]],
    key: str | None,
    body: bytes,
) -> Response:
    engine: Engine = request.app.state.engine
    clock: Clock = request.app.state.clock
    scope = caller_scope(request)
    fingerprint = request_fingerprint(request.method, request.url.path, body)

    def begin() -> tuple[Connection, RootTransaction, NestedTransaction]:
        # One thread hop for everything before the route: each hop costs a
        # wake-up of a pool thread, several per request add up at load.
        conn = engine.connect()
        try:
            root = conn.begin()
            if key is not None:
                _claim(conn, scope, key, request, fingerprint=fingerprint, at=clock.now())
            return conn, root, conn.begin_nested()
        except BaseException:
            conn.close()
            raise

    def finish(
        conn: Connection, root: RootTransaction, savepoint: NestedTransaction, response: Response
    ) -> Response:
        try:
            if savepoint.is_active:
                savepoint.commit()
            if (
                response.status_code == HTTPStatus.TOO_MANY_REQUESTS
                or response.status_code >= HTTPStatus.INTERNAL_SERVER_ERROR
            ):
                # Rate-limited before any work, or a failure of ours or of a service we
                # call: the key is not spent, so the client's retry under the same key
                # gets a real answer rather than this one again.
                root.rollback()
                return response
            if key is not None:
                _remember(conn, scope, key, response, clock.now())
            root.commit()
            return response
        finally:
            conn.close()

    def abandon(conn: Connection, savepoint: NestedTransaction, error: Exception) -> Response:
        """A refusal rolls the work back and is answered (and remembered) like any
        response; anything else ends the connection and goes up."""
        refusal = problem_for(error)
        if refusal is None or is_retryable(error):
            conn.close()
            raise error
        try:
            savepoint.rollback()
        except BaseException:
            conn.close()
            raise
        return refusal

    async def attempt() -> Response:
        try:
            conn, root, savepoint = await run_in_threadpool(begin)
        except _Replay as replay:
            return replay.response
        try:
            request.state.db = conn
            response = await run_route(request)
        except Exception as error:
            response = await run_in_threadpool(abandon, conn, savepoint, error)
        except BaseException:
            await run_in_threadpool(conn.close)
            raise
        return await run_in_threadpool(finish, conn, root, savepoint, response)

    return await _retrying_async(attempt)


async def _retrying_async(attempt: Callable[[], Awaitable[Response]]) -> Response:
    """The unit of work's retry policy, for a request handled on the event loop:
    a serialization failure or deadlock runs the whole request again."""
    tries = 0
    while True:
        try:
            return await attempt()
        except (DBAPIError, psycopg.Error) as error:
            if not is_retryable(error) or tries >= RETRIES_MAX:
                raise
            await anyio.sleep(backoff_s(tries, _rng))
            tries += 1


def _claim(
    conn: Connection, scope: str, key: str, request: Request, *, fingerprint: bytes, at: datetime
) -> None:
    """Inserts the key's row, or replays or refuses if the key was used already."""
    try:
        claim = conn.execute(
            _CLAIM,
            {
                "scope": scope,
                "key": key,
                "method": request.method,
                "path": request.url.path,
                "hash": fingerprint,
                "at": at,
                "wait_ms": IN_FLIGHT_WAIT_S * 1000,
            },
        ).one()
    except DBAPIError as error:
        if isinstance(error.orig, psycopg.errors.LockNotAvailable):
            raise _Replay(
                problem_response(
                    Code.IDEMPOTENCY_KEY_IN_FLIGHT,
                    "a request with this idempotency key is still being processed; retry later",
                )
            ) from error
        raise
    if claim.claimed:
        return
    if bytes(claim.request_hash) != fingerprint:
        raise _Replay(
            problem_response(
                Code.IDEMPOTENCY_KEY_REUSED,
                "this idempotency key was used with a different request",
            )
        )
    replay = Response(
        content=bytes(claim.body), status_code=claim.status_code, media_type=claim.media_type
    )
    replay.headers[REPLAYED_HEADER] = "true"
    raise _Replay(replay)


_CLAIM = text(
    "SELECT claimed, request_hash, status_code, media_type, body FROM idempotency_claim("
    ":scope, :key, :method, :path, :hash, :at, :wait_ms)"
)


def _remember(conn: Connection, scope: str, key: str, response: Response, at: datetime) -> None:
    assert isinstance(response.body, bytes | memoryview), "idempotent routes answer with a body"
    conn.execute(
        text(
            "UPDATE idempotency_requests SET status_code = :status, media_type = :media,"
            " body = :body, completed_at = :at WHERE scope = :scope AND key = :key"
        ),
        {
            "status": response.status_code,
            "media": response.media_type,
            "body": bytes(response.body),
            "at": at,
            "scope": scope,
            "key": key,
        },
    )


def forget_expired(conn: Connection, *, now: datetime) -> int:
    """Deletes keys older than KEEP_H hours; returns how many."""
    deleted: int = conn.execute(
        text("DELETE FROM idempotency_requests WHERE created_at < :cutoff"),
        {"cutoff": now - timedelta(hours=KEEP_H)},
    ).rowcount
    return deleted
