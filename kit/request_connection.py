"""Work done on the request's own database connection when it has one.

A route run by IdempotentRoute or ReadRoute holds one pooled connection for
the whole request (request.state.db). A dependency that took a second one
(to check a key or a token) could deadlock the pool: with every connection
held by a request waiting for its second, none is ever given back. So checks
run on the held connection, and only routes without one borrow from the pool.
"""

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from sqlalchemy import Connection

from ledger.unit_of_work import run_in_transaction

T = TypeVar("T")


def on_request_connection(request: Request, work: Callable[[Connection], T]) -> T:
    held: Connection | None = getattr(request.state, "db", None)
    if held is not None:
        return work(held)
    return run_in_transaction(request.app.state.engine, work)
