"""Routes for a wallet's history: a page at a time, or the whole of it as a download.

The download lets residents keep their history whatever happens to the
platform (a migration elsewhere erased residents' history once): CSV that
Excel opens with the Japanese intact (UTF-8 with a byte-order mark), or JSON.
"""

import csv
import io
import json
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import Engine

from kit.auth import CurrentResident
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from kit.spreadsheet_cells import spreadsheet_text
from ledger.limits import HISTORY_PAGE_MAX
from wallet_api.history import WalletLine, history_page, snapshot_lines
from wallet_api.history_schemas import HistoryItem, HistoryPagePublic
from wallet_api.history_words import Lang
from wallet_api.resident_coins import resident_coin
from wallet_api.residents import Wallet, wallet_of

router = APIRouter(route_class=IdempotentRoute, tags=["residents"])

CSV_COLUMNS = ("id", "created_at", "kind", "description", "amount")
BOM = "\ufeff"

CoinQuery = Annotated[
    str | None, Query(description="The coin's code; default: the home coin.", max_length=16)
]
LangQuery = Annotated[Lang, Query(description="ja (default) or en.")]


def _wallet(db: Db, resident_id: int, coin: str | None) -> tuple[Wallet, str]:
    the_coin = resident_coin(db, resident_id=resident_id, code=coin)
    return wallet_of(db, coin_id=the_coin.id, resident_id=resident_id), the_coin.code


@router.get(
    "/wallet/transactions",
    response_model=HistoryPagePublic,
    responses=refusals(Code.COIN_NOT_FOUND, Code.WALLET_NOT_FOUND),
)
def list_transactions(
    *,
    db: Db,
    resident_id: CurrentResident,
    coin: CoinQuery = None,
    limit: Annotated[int, Query(ge=1, le=HISTORY_PAGE_MAX)] = 20,
    starting_after: Annotated[
        str | None, Query(description="The id of the last line seen.", max_length=200)
    ] = None,
    lang: LangQuery = Lang.JA,
) -> HistoryPagePublic:
    """The resident's own wallet history, newest first, each line in plain words."""
    wallet, _ = _wallet(db, resident_id, coin)
    lines, has_more = history_page(
        db, wallet=wallet, limit=limit, starting_after=starting_after, lang=lang
    )
    return HistoryPagePublic(
        data=[HistoryItem.model_validate(line.as_dict()) for line in lines], has_more=has_more
    )


@router.get(
    "/wallet/transactions/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The whole history, newest first.",
            "content": {"text/csv": {}, "application/json": {}},
        },
        **refusals(Code.COIN_NOT_FOUND, Code.WALLET_NOT_FOUND),
    },
)
def export_transactions(
    *,
    db: Db,
    resident_id: CurrentResident,
    request: Request,
    format: Literal["csv", "json"] = "csv",
    coin: CoinQuery = None,
    lang: LangQuery = Lang.JA,
) -> StreamingResponse:
    """Downloads the wallet's whole history: CSV (UTF-8 with BOM, for Excel) or a JSON array."""
    wallet, code = _wallet(db, resident_id, coin)
    engine: Engine = request.app.state.engine
    lines = snapshot_lines(engine, wallet=wallet, lang=lang)
    filename = f"localcoin-{code}-{wallet.public_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        return StreamingResponse(_csv(lines), media_type="text/csv; charset=utf-8", headers=headers)
    return StreamingResponse(_json(lines), media_type="application/json", headers=headers)


def _csv(lines: Iterator[WalletLine]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield BOM + _drain(buffer)
    for line in lines:
        row = line.as_dict()
        writer.writerow([spreadsheet_text(row[column]) for column in CSV_COLUMNS])
        yield _drain(buffer)


def _json(lines: Iterator[WalletLine]) -> Iterator[str]:
    yield "["
    for n, line in enumerate(lines):
        yield ("," if n else "") + json.dumps(line.as_dict(), ensure_ascii=False)
    yield "]"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
