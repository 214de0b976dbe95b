"""The site's pages: the facilities and their free slots, one booking with its QR, the actions."""

import html
from collections.abc import Callable
from datetime import datetime
from urllib.parse import parse_qs

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from examples.facility_booking.bookings import (
    AWAITING_PAYMENT,
    HELD,
    OPEN,
    PAID,
    Desk,
    NotAllowedError,
)
from examples.facility_booking.facilities import BY_CODE, FACILITIES, TOKYO, Plan, slots
from examples.facility_booking.localcoin_gateway import RefusedError
from examples.facility_booking.store import Booking, Store

STATUS_WORDS = {
    "awaiting_payment": "お支払い待ち",
    "paid": "支払い済み",
    "held": "デポジット預かり中",
    "used": "利用済み",
    "canceled": "キャンセル済み",
    "canceled_late": "キャンセル済み(キャンセル料あり)",
    "no_show": "無断不参加(預かり期限で返金)",
    "expired": "期限切れ",
}
_STYLE = """
body{font-family:"Noto Sans CJK JP",sans-serif;max-width:46rem;margin:1.5rem auto;padding:0 1rem;
color:#1d2733}h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #d5dbe1;padding:.35rem;text-align:left}
button{font:inherit;padding:.35rem .8rem}.qr svg{width:14rem;height:14rem}
.status{font-weight:bold}"""


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="ja"><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style>"
        f"<h1>{html.escape(title)}</h1>{body}</html>"
    )


def pages_router(store: Store, desk: Desk, now: Callable[[], datetime]) -> APIRouter:
    router = APIRouter()

    @router.get("/", response_class=HTMLResponse)
    def facilities() -> HTMLResponse:
        taken = {(b.facility, b.starts_at) for b in store.bookings() if b.status in OPEN}
        rows = []
        upcoming = [s for s in slots(now().astimezone(TOKYO).date()) if s > now()][:12]
        for facility in FACILITIES:
            how = "利用料" if facility.plan is Plan.FEE else "デポジット"
            for start in upcoming:
                if (facility.code, start.isoformat()) in taken:
                    continue
                rows.append(
                    f"<tr><td>{html.escape(facility.name)}</td>"
                    f"<td>{start:%m/%d %H:%M}</td><td>{how} {facility.amount:,}コイン</td>"
                    f'<td><form method="post" action="/bookings">'
                    f'<input type="hidden" name="facility" value="{facility.code}">'
                    f'<input type="hidden" name="starts_at" value="{start.isoformat()}">'
                    f"<button>予約する</button></form></td></tr>"
                )
        return _page(
            "施設予約(地域コイン払い)",
            "<p>キャンセルは前日まで無料です。それ以降はキャンセル料がかかります。</p>"
            f"<table><tr><th>施設</th><th>日時</th><th>料金</th><th></th></tr>{''.join(rows)}</table>",
        )

    @router.post("/bookings")
    async def book(request: Request) -> RedirectResponse:
        # A plain HTML form, read without a multipart library.
        form = parse_qs((await request.body()).decode())
        facility, starts_at = form.get("facility", [""])[0], form.get("starts_at", [""])[0]
        chosen = BY_CODE.get(facility)
        try:
            start = datetime.fromisoformat(starts_at)
        except ValueError:
            raise HTTPException(422, "starts_at is not a date and time") from None
        if chosen is None or start not in slots(now().astimezone(TOKYO).date()) or start < now():
            raise HTTPException(404, "no such facility or slot")
        if any(
            b.facility == facility and b.starts_at == starts_at and b.status in OPEN
            for b in store.bookings()
        ):
            raise HTTPException(409, "that slot is taken")
        booking = await run_in_threadpool(desk.book, chosen, start)
        return RedirectResponse(f"/bookings/{booking.id}", status_code=303)

    @router.get("/bookings/{booking_id}", response_class=HTMLResponse)
    def show(booking_id: str) -> HTMLResponse:
        booking = _found(store, booking_id)
        facility = BY_CODE[booking.facility]
        start = datetime.fromisoformat(booking.starts_at)
        parts = [
            f"<p>{html.escape(facility.name)} {start:%Y/%m/%d %H:%M} から1時間</p>",
            f'<p>状態: <span class="status">{STATUS_WORDS[booking.status]}</span></p>',
        ]
        if booking.status == AWAITING_PAYMENT:
            svg = desk.qr_svg(booking).decode()
            parts.append(
                f"<p>{booking.amount:,}コインをお支払いください。"
                "ウォレットでこのQRコードを読み取るか、スマートフォンならリンクを開いてください。</p>"
                f'<div class="qr">{svg}</div>'
                f'<p><a href="{html.escape(desk.pay_link(booking))}">ウォレットで支払う</a></p>'
            )
        if booking.status in (PAID, HELD):
            parts.append(
                f'<form method="post" action="/bookings/{booking.id}/use">'
                "<button>利用した(受付)</button></form>"
            )
        if booking.status in (AWAITING_PAYMENT, PAID, HELD):
            parts.append(
                f'<form method="post" action="/bookings/{booking.id}/cancel">'
                "<button>キャンセルする</button></form>"
            )
        return _page(f"予約 {booking.id}", "".join(parts))

    @router.post("/bookings/{booking_id}/use")
    def use(booking_id: str) -> RedirectResponse:
        _act(lambda: desk.use(_found(store, booking_id)))
        return RedirectResponse(f"/bookings/{booking_id}", status_code=303)

    @router.post("/bookings/{booking_id}/cancel")
    def cancel(booking_id: str) -> RedirectResponse:
        _act(lambda: desk.cancel(_found(store, booking_id)))
        return RedirectResponse(f"/bookings/{booking_id}", status_code=303)

    @router.get("/api/bookings/{booking_id}")
    def as_json(booking_id: str) -> dict[str, object]:
        """The booking as data, for the counter's own tools (and the tests)."""
        booking = _found(store, booking_id)
        return {
            "id": booking.id,
            "status": booking.status,
            "amount": booking.amount,
            "kept": booking.kept,
            "refunded": booking.refunded,
            "intent_id": booking.intent_id,
            "qr_payload": booking.qr_payload,
            "notes": list(booking.notes),
            "duplicate_events": store.duplicates(),
        }

    return router


def _found(store: Store, booking_id: str) -> Booking:
    booking = store.booking(booking_id)
    if booking is None:
        raise HTTPException(404, "no such booking")
    return booking


def _act(action: Callable[[], Booking]) -> None:
    try:
        action()
    except NotAllowedError as refused:
        raise HTTPException(409, str(refused)) from None
    except RefusedError as refused:
        raise HTTPException(502, f"localcoin refused: {refused}") from None
