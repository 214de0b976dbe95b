"""The notices API: a resident's preferences, contacts and LINE link; the console's counts."""

import uuid
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection, text

from kit.auth import CurrentResident, IssuerOrOperatorKey
from kit.errors import Code
from kit.notice_outbox import NoticeKind
from kit.problems import Problem, problem_response
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from ledger.unit_of_work import run_in_transaction
from notices import contacts
from notices.channel import ChannelFailedError, ChannelName, Message
from notices.delivery_counts import delivery_counts
from notices.line_linking import start_link
from notices.preferences import Preferences, preferences_of, save_preferences
from notices.schemas import (
    ChannelCountsPublic,
    ContactCreate,
    ContactPending,
    ContactState,
    ContactVerified,
    ContactVerify,
    DeliveryCountsPublic,
    LineLinkRedirect,
    LineLinkStart,
    PreferencesPublic,
    PreferencesUpdate,
    QuietHours,
)
from notices.words import code_words
from wallet_api.contact_logins import ContactKind
from wallet_api.history_words import Lang

router = APIRouter(tags=["notices"])


@router.get("/notices/preferences", response_model=PreferencesPublic)
def get_preferences(request: Request, resident_id: CurrentResident) -> PreferencesPublic:
    """What the resident hears of, where, and when not; with their contacts."""
    return run_in_transaction(
        request.app.state.engine, lambda conn: _public(conn, resident_id=resident_id)
    )


@router.put(
    "/notices/preferences",
    response_model=PreferencesPublic,
    responses=refusals(Code.UNAUTHENTICATED),
)
def put_preferences(
    body: PreferencesUpdate, request: Request, resident_id: CurrentResident
) -> PreferencesPublic:
    """Opts into kinds and channels (none until the resident says so), the language,
    and quiet hours (Tokyo time; a PIN lockout is sent at any hour)."""
    start, end = body.quiet_hours.times() if body.quiet_hours else (None, None)
    preferences = Preferences(
        kinds=tuple(NoticeKind(kind) for kind in body.kinds),
        channels=tuple(ChannelName(channel) for channel in body.channels),
        lang=Lang(body.lang),
        quiet_start=start,
        quiet_end=end,
    )
    at = request_clock(request).now()

    def work(conn: Connection) -> PreferencesPublic:
        save_preferences(conn, resident_id=resident_id, preferences=preferences, at=at)
        return _public(conn, resident_id=resident_id)

    return run_in_transaction(request.app.state.engine, work)


def _public(conn: Connection, *, resident_id: int) -> PreferencesPublic:
    preferences = preferences_of(conn, resident_id=resident_id)
    rows = conn.execute(
        text(
            "SELECT kind, address, verified_at IS NOT NULL AS verified FROM resident_contacts"
            " WHERE resident_id = :resident"
        ),
        {"resident": resident_id},
    ).all()
    quiet = None
    if preferences.quiet_start is not None and preferences.quiet_end is not None:
        quiet = QuietHours(
            start=preferences.quiet_start.strftime("%H:%M"),
            end=preferences.quiet_end.strftime("%H:%M"),
        )
    return PreferencesPublic(
        kinds=[kind.value for kind in preferences.kinds],
        channels=[channel.value for channel in preferences.channels],
        lang=preferences.lang.value,
        quiet_hours=quiet,
        contacts={
            row.kind: ContactState(
                address=None if row.kind == "line" else row.address, verified=row.verified
            )
            for row in rows
        },
    )


@router.post(
    "/contacts",
    status_code=202,
    response_model=ContactPending,
    responses=refusals(
        Code.CONTACT_INVALID,
        Code.CONTACT_TAKEN,
        Code.LINE_NOT_LINKED,
        Code.NOTICE_CHANNEL_UNAVAILABLE,
    ),
)
def add_contact(
    body: ContactCreate, request: Request, resident_id: CurrentResident
) -> ContactPending | JSONResponse:
    """Adds an e-mail or phone as another login id, once verified: a six-digit code
    goes to the e-mail (a phone's, to the resident's linked LINE), valid 10 minutes.
    Nothing is kept if the code could not be sent."""
    kind = ContactKind(body.kind)
    at = request_clock(request).now()
    key: bytes = request.app.state.fingerprint_key

    def work(conn: Connection) -> ContactPending:
        pending = contacts.start(
            conn, resident_id=resident_id, kind=kind, written=body.address, key=key, at=at
        )
        coin_name = _home_coin_name(conn, resident_id=resident_id)
        # Sent inside the transaction: a code that did not go out leaves nothing behind.
        _send_code(request, pending, coin_name=coin_name)
        return ContactPending(
            kind=kind.value,
            address=pending.address,
            sent_via="line" if pending.send_to == "line" else "email",
            expires_at=pending.expires_at.isoformat(),
        )

    return run_in_transaction(request.app.state.engine, work)


def _send_code(request: Request, pending: contacts.PendingContact, *, coin_name: str) -> None:
    channels = request.app.state.notice_channels
    name = ChannelName.LINE if pending.send_to == "line" else ChannelName.EMAIL
    channel = channels.get(name)
    to = pending.line_user_id if name is ChannelName.LINE else pending.address
    if channel is None or to is None:
        raise Problem(Code.NOTICE_CHANNEL_UNAVAILABLE, f"no {name.value} channel is set up")
    minutes = int(contacts.CODE_TTL.total_seconds() // 60)
    words = code_words(pending.code, coin_name=coin_name, minutes=minutes)
    message = Message(to=to, subject=words.subject, text=words.text, retry_key=str(uuid.uuid4()))
    try:
        channel.send(message)
    except ChannelFailedError as failed:
        raise Problem(
            Code.NOTICE_CHANNEL_UNAVAILABLE, f"the {name.value} channel did not take the code"
        ) from failed


def _home_coin_name(conn: Connection, *, resident_id: int) -> str:
    name: str = conn.execute(
        text(
            "SELECT c.name FROM residents r JOIN coins c ON c.id = r.home_coin_id WHERE r.id = :r"
        ),
        {"r": resident_id},
    ).scalar_one()
    return name


@router.post(
    "/contacts/{kind}/verify",
    response_model=ContactVerified,
    responses=refusals(
        Code.CONTACT_NOT_FOUND, Code.CODE_INCORRECT, Code.CODE_EXPIRED, Code.CONTACT_TAKEN
    ),
)
def verify_contact(
    kind: Literal["email", "phone"],
    body: ContactVerify,
    request: Request,
    resident_id: CurrentResident,
) -> ContactVerified | JSONResponse:
    """Checks the code; the contact is then a login id (``POST /v1/auth/token``
    with ``{"login": "<e-mail or phone>", "pin"}``) and, for e-mail, a notices channel."""
    contact_kind = ContactKind(kind)
    at = request_clock(request).now()
    key: bytes = request.app.state.fingerprint_key
    outcome = run_in_transaction(
        request.app.state.engine,
        lambda conn: contacts.verify(
            conn, resident_id=resident_id, kind=contact_kind, code=body.code, key=key, at=at
        ),
    )
    if isinstance(outcome, Problem):
        return problem_response(outcome.code, outcome.detail)
    return ContactVerified(kind=kind, address=outcome)


@router.delete(
    "/contacts/{kind}",
    status_code=204,
    responses=refusals(Code.CONTACT_NOT_FOUND),
)
def remove_contact(
    kind: Literal["email", "phone", "line"], request: Request, resident_id: CurrentResident
) -> Response:
    """Removes the e-mail or phone (no longer a login id) or unlinks LINE."""
    removed = run_in_transaction(
        request.app.state.engine,
        lambda conn: contacts.remove(conn, resident_id=resident_id, kind=ContactKind(kind)),
    )
    if not removed:
        raise Problem(Code.CONTACT_NOT_FOUND, f"no {kind} to remove")
    return Response(status_code=204)


@router.post(
    "/notices/line/link",
    response_model=LineLinkRedirect,
    responses=refusals(Code.LINK_TOKEN_INVALID),
)
def link_line(
    body: LineLinkStart, request: Request, resident_id: CurrentResident
) -> LineLinkRedirect:
    """Step 2 of LINE's account linking: the address of LINE's dialog that ties the
    LINE user who was sent the link token to this resident."""
    at = request_clock(request).now()
    access_base: str = request.app.state.line_access_base
    url = run_in_transaction(
        request.app.state.engine,
        lambda conn: start_link(
            conn,
            resident_id=resident_id,
            link_token=body.link_token,
            access_base=access_base,
            at=at,
        ),
    )
    return LineLinkRedirect(redirect_url=url)


@router.get("/notices/deliveries", response_model=DeliveryCountsPublic)
def get_delivery_counts(request: Request, key: IssuerOrOperatorKey) -> DeliveryCountsPublic:
    """How many notices the coin's residents were sent, per channel and outcome."""

    def work(conn: Connection) -> DeliveryCountsPublic:
        code: str = conn.execute(
            text("SELECT code FROM coins WHERE id = :coin"), {"coin": key.coin_id}
        ).scalar_one()
        counts = delivery_counts(conn, coin_id=key.coin_id)
        return DeliveryCountsPublic(
            coin=code,
            notices=counts.notices,
            channels={
                channel: ChannelCountsPublic(
                    pending=c.pending,
                    delivered=c.delivered,
                    failed=c.failed,
                    paused_until=c.paused_until,
                )
                for channel, c in counts.channels.items()
            },
        )

    return run_in_transaction(request.app.state.engine, work)
