"""``Idempotency-Key`` on every POST, built once for the whole API (IETF httpapi draft).

- The caller is authenticated first (kit/caller.py): a credential that does not
  check out (unknown, forged, revoked, expired, malformed) is 401 at once and
  never reaches a stored answer.
- The same key with the same request (method, path, query string, body)
  returns the first response again: same status, same body, refusals
  included, with the header ``Idempotent-Replayed: true``; secrets the first
  answer handed out are not kept and the replay says ``secret_not_shown_again``
  in their place (kit/stored_answers.py).
- The same key with a different request is refused: 422 ``idempotency_key_reused``.
- A duplicate that arrives while the first is still running waits for the
  first's answer and replays it; after ``IN_FLIGHT_WAIT_S`` it gets 409
  ``idempotency_key_in_flight``. Concurrent duplicates therefore move money once.
- A 401, 403, 429 or 5xx answer is not kept: the work rolls back and the key
  stays free, so a retry under it runs afresh.
- Keys are scoped to the authenticated caller (the API key's id, or the
  resident's; for public calls the client address), never to text from the
  header, and kept at least ``KEEP_H`` hours. The request's fingerprint is an
  HMAC under a server key, so a stored sign-up cannot be brute-forced for its PIN.

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
import hmac
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

from kit.caller import identify
from kit.errors import Code
from kit.problems import Problem, problem_for, problem_response
from kit.stored_answers import redacted
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
# Answers never stored under a key: who-are-you refusals and rate limits.
_NOT_KEPT = frozenset({HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN})
_ROLLED_BACK = frozenset({HTTPStatus.TOO_MANY_REQUESTS})


def request_fingerprint(key: bytes, method: str, path: str, query: str, body: bytes) -> bytes:
    """What a key's first request was, as an HMAC under a server key.

    A plain hash of a body holding a PIN could be brute-forced from a database
    dump (a million PINs in under a second); without the server key it cannot.
    The query string is part of it: ``?coin=X`` and ``?coin=Y`` are different
    requests.
    """
    message = b"\0".join([method.encode(), path.encode(), query.encode(), body])
    return hmac.new(key, message, hashlib.sha256).digest()


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
    fingerprint = _fingerprint_of(request, body)

    def begin() -> tuple[Connection, RootTransaction, NestedTransaction, str]:
        # One thread hop for everything before the route: each hop costs a
        # wake-up of a pool thread, several per request add up at load.
        conn = engine.connect()
        try:
            root = conn.begin()
            scope = _authenticated_scope(conn, request, clock.now())
            if key is not None:
                _claim(conn, scope, key, request, fingerprint=fingerprint, at=clock.now())
            return conn, root, conn.begin_nested(), scope
        except BaseException:
            conn.close()
            raise

    def finish(
        conn: Connection,
        root: RootTransaction,
        savepoint: NestedTransaction,
        scope: str,
        response: Response,
    ) -> Response:
        try:
            if savepoint.is_active:
                savepoint.commit()
            _settle(conn, root, scope=scope, key=key, response=response, at=clock.now())
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
            conn, root, savepoint, scope = await run_in_threadpool(begin)
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
        return await run_in_threadpool(finish, conn, root, savepoint, scope, response)

    return await _retrying_async(attempt)


def _fingerprint_of(request: Request, body: bytes) -> bytes:
    key: bytes = request.app.state.fingerprint_key
    return request_fingerprint(key, request.method, request.url.path, request.url.query, body)


def _authenticated_scope(conn: Connection, request: Request, at: datetime) -> str:
    """Authenticates first: a credential that does not check out never reaches a
    stored answer (it is answered 401 at once), and keys are scoped by who
    checked out."""
    try:
        return identify(conn, request, at=at).scope
    except Problem as refused:
        raise _Replay(problem_response(refused.code, refused.detail)) from None


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
            "body": redacted(bytes(response.body), response.media_type),
            "at": at,
            "scope": scope,
            "key": key,
        },
    )


def _settle(
    conn: Connection,
    root: RootTransaction,
    *,
    scope: str,
    key: str | None,
    response: Response,
    at: datetime,
) -> None:
    """Commits the request with its answer stored under the key, or not at all."""
    if response.status_code in _ROLLED_BACK or response.status_code >= 500:
        # Rate-limited before any work, or a failure of ours or of a service we
        # call: the key is not spent, so the client's retry under the same key
        # gets a real answer rather than this one again.
        root.rollback()
        return
    if key is not None and response.status_code in _NOT_KEPT:
        # Refused for who the caller is: nothing is stored under the key (the
        # refusal's own bookkeeping, a wrong PIN counted, still commits).
        _release(conn, scope, key)
    elif key is not None:
        _remember(conn, scope, key, response, at)
    root.commit()


def _release(conn: Connection, scope: str, key: str) -> None:
    conn.execute(
        text("DELETE FROM idempotency_requests WHERE scope = :scope AND key = :key"),
        {"scope": scope, "key": key},
    )


def forget_expired(conn: Connection, *, now: datetime) -> int:
    """Deletes keys older than KEEP_H hours; returns how many."""
    deleted: int = conn.execute(
        text("DELETE FROM idempotency_requests WHERE created_at < :cutoff"),
        {"cutoff": now - timedelta(hours=KEEP_H)},
    ).rowcount
    return deleted
