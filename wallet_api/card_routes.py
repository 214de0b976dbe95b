"""The issuer's card routes: print a card for a resident's wallet, block it, look it up.

Object-level authorization: an issuer key reaches only the wallets and cards
of its own coin; anything else is 404.
"""

from fastapi import APIRouter, Request

from kit.auth import IssuerKey
from kit.errors import Code
from kit.idempotency import Db, IdempotentRoute
from kit.refusal_docs import refusals
from kit.request_clock import request_clock
from wallet_api.card_schemas import CardBlock, CardIssued, CardPublic
from wallet_api.cards import Card, block_card, find_card, issue_card
from wallet_api.residents import find_resident, wallet_of

router = APIRouter(route_class=IdempotentRoute, tags=["cards"])


def _public(card: Card) -> CardPublic:
    return CardPublic(
        card_id=card.public_id,
        wallet_id=card.wallet_public_id,
        status=card.status.value,
        issued_at=card.issued_at.isoformat(),
        blocked_at=card.blocked_at.isoformat() if card.blocked_at else None,
        block_reason=card.block_reason,
    )


@router.post(
    "/residents/{resident_id}/cards",
    status_code=201,
    response_model=CardIssued,
    responses=refusals(Code.RESIDENT_NOT_FOUND, Code.WALLET_NOT_FOUND),
)
def create_card(resident_id: str, db: Db, key: IssuerKey, request: Request) -> CardIssued:
    """A printed QR card for the resident's wallet in the issuer's coin.

    The resident pays with it at a merchant's terminal by typing the PIN. A
    wallet has at most one active card: this blocks the one before it
    (``reissued``); the balance stays in the wallet.
    """
    resident = find_resident(db, resident_id)
    wallet = wallet_of(db, coin_id=key.coin_id, resident_id=resident.id)
    issued = issue_card(db, wallet=wallet, at=request_clock(request).now())
    return CardIssued(**_public(issued.card).model_dump(), qr_payload=issued.qr_payload)


@router.post(
    "/cards/{card_id}/block", response_model=CardPublic, responses=refusals(Code.CARD_NOT_FOUND)
)
def block(card_id: str, body: CardBlock, db: Db, key: IssuerKey, request: Request) -> CardPublic:
    """Blocks the card for good (lost, stolen). The wallet and its balance are untouched."""
    card = block_card(
        db,
        coin_id=key.coin_id,
        card_public_id=card_id,
        reason=body.reason,
        at=request_clock(request).now(),
    )
    return _public(card)


@router.get("/cards/{card_id}", response_model=CardPublic, responses=refusals(Code.CARD_NOT_FOUND))
def get_card(card_id: str, db: Db, key: IssuerKey) -> CardPublic:
    """A card of the issuer's coin and its status."""
    return _public(find_card(db, coin_id=key.coin_id, card_public_id=card_id))
