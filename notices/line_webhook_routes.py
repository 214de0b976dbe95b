"""LINE's webhook: the events of the city's official account, trusted only with LINE's signature.

- ``follow`` or ``message`` from a user not yet linked: a link token is asked
  of LINE and the user is answered with the wallet's link carrying it.
- ``accountLink`` with ``result: ok``: the nonce names the resident; the
  LINE user becomes their ``line`` contact (notices.line_linking).
- ``unfollow``: the user blocked the account; the link is dropped.

What a user writes is never stored: the account is a contact point only.
"""

from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from kit.errors import Code
from kit.problems import problem_response
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from ledger.unit_of_work import run_in_transaction
from notices.channel import ChannelFailedError
from notices.line_api import LineApi, signature_ok
from notices.line_linking import complete_link, is_line_user_id, is_linked, unlink_user

log = structlog.get_logger(__name__)

router = APIRouter(tags=["notices"])

EVENTS_MAX = 100
LINKED_WORDS = "通知の連携ができました。設定はアプリの「お知らせ設定」から。"
ALREADY_WORDS = "お知らせの設定はアプリの「お知らせ設定」から変えられます。"
LINK_WORDS = "ウォレットと連携すると、お支払いやポイントのお知らせが届きます。\n{url}"


@router.post("/line/webhook", responses=refusals(Code.SIGNATURE_INVALID))
async def line_webhook(request: Request) -> JSONResponse:
    """Events from LINE's platform (X-Line-Signature: HMAC-SHA256 under the channel secret)."""
    body = await request.body()
    secret: str | None = request.app.state.line_channel_secret
    if not secret or not signature_ok(secret, body, request.headers.get("x-line-signature")):
        log.warning("line_webhook_refused")
        return problem_response(Code.SIGNATURE_INVALID, "the LINE signature does not verify")
    try:
        events: list[dict[str, Any]] = (await request.json()).get("events", [])
    except (ValueError, AttributeError):
        events = []
    line: LineApi | None = request.app.state.line_api
    # The database and LINE's replies block: off the event loop.
    for event in events[:EVENTS_MAX]:
        await run_in_threadpool(_handle, request, line, event)
    return JSONResponse({"received": len(events)})


def _handle(request: Request, line: LineApi | None, event: dict[str, Any]) -> None:
    source = event.get("source") or {}
    user_id = source.get("userId") if isinstance(source, dict) else None
    if not isinstance(user_id, str) or not is_line_user_id(user_id):
        return
    engine = request.app.state.engine
    at = request_clock(request).now()
    kind = event.get("type")
    reply_token = event.get("replyToken")
    words: str | None = None
    if kind == "accountLink":
        link = event.get("link") or {}
        nonce = link.get("nonce") if isinstance(link, dict) else None
        if link.get("result") == "ok" and isinstance(nonce, str):
            resident = run_in_transaction(
                engine, lambda conn: complete_link(conn, line_user_id=user_id, nonce=nonce, at=at)
            )
            log.info("line_linked", linked=resident is not None)
            words = LINKED_WORDS if resident is not None else None
    elif kind == "unfollow":
        run_in_transaction(engine, lambda conn: unlink_user(conn, line_user_id=user_id))
    elif kind in {"follow", "message"} and line is not None:
        linked = run_in_transaction(engine, lambda conn: is_linked(conn, line_user_id=user_id))
        words = ALREADY_WORDS if linked else _link_words(request, line, user_id)
    if words is not None and line is not None and isinstance(reply_token, str):
        try:
            line.reply(reply_token, words)
        except ChannelFailedError as failed:
            log.info("line_reply_failed", reason=failed.reason)


def _link_words(request: Request, line: LineApi, user_id: str) -> str | None:
    try:
        token = line.issue_link_token(user_id)
    except ChannelFailedError as failed:
        log.info("line_link_token_failed", reason=failed.reason)
        return None
    url = f"{request.app.state.public_url.rstrip('/')}/?line_link={token}"
    return LINK_WORDS.format(url=url)
