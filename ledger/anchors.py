"""Anchors: a coin's hash chain head recorded outside the database, and the check
that the chain still holds it.

The chain (ledger/chain.py) proves that sealed entries were not changed one by
one, but whoever holds the database's keys could rewrite the whole chain
consistently. A head written down elsewhere (the issuing bank's daily report,
WORM storage) cannot be rewritten with it: later, the chain must still pass
through that head at that index, or it was rewritten. A restored backup must
do the same, which makes an anchor the proof that a point-in-time recovery
gave back the books as they were.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text


@dataclass(frozen=True, slots=True)
class Anchor:
    """A chain head as it was when it was recorded.

    Attributes:
        coin_code: the coin's code (ids differ between databases; codes do not).
        chain_index: the index of the last sealed entry; 0 for an empty chain.
        chain_head: that entry's chain hash; None for an empty chain.
    """

    coin_code: str
    chain_index: int
    chain_head: bytes | None

    def __post_init__(self) -> None:
        assert self.chain_index >= 0
        assert (self.chain_index == 0) == (self.chain_head is None)
        assert self.chain_head is None or len(self.chain_head) == 32

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.coin_code,
            "chain_index": self.chain_index,
            "chain_head": None if self.chain_head is None else self.chain_head.hex(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> "Anchor":
        """The inverse of ``as_dict``; raises ValueError on anything else."""
        if not isinstance(data, dict):
            raise ValueError(f"not an anchor: {data!r}")
        head = data.get("chain_head")
        index = data.get("chain_index")
        code = data.get("code")
        if not isinstance(code, str) or type(index) is not int or index < 0:
            raise ValueError(f"not an anchor: {data!r}")
        if (index == 0) != (head is None) or not (head is None or isinstance(head, str)):
            raise ValueError(f"not an anchor: {data!r}")
        raw = None if head is None else bytes.fromhex(head)
        if raw is not None and len(raw) != 32:
            raise ValueError(f"not a SHA-256 chain head: {head!r}")
        return cls(code, index, raw)


def chain_head(conn: Connection, *, coin_id: int, coin_code: str) -> Anchor:
    """The coin's chain head now: its last sealed entry's index and chain hash."""
    row = conn.execute(
        text(
            "SELECT chain_index, chain_hash FROM entry_seals WHERE coin_id = :coin"
            " ORDER BY chain_index DESC LIMIT 1"
        ),
        {"coin": coin_id},
    ).one_or_none()
    if row is None:
        return Anchor(coin_code, 0, None)
    return Anchor(coin_code, row.chain_index, bytes(row.chain_hash))


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    """Attributes:
    anchor: what was recorded.
    on_chain: the chain has the anchored hash at the anchored index. Meaningful
        when the chain itself verifies (verify_chain): then every stored chain
        hash follows from the entries, and so does this one.
    at_head: the anchor is the chain's head now (nothing sealed after it).
    """

    anchor: Anchor
    on_chain: bool
    at_head: bool

    def as_dict(self) -> dict[str, Any]:
        return self.anchor.as_dict() | {"on_chain": self.on_chain, "at_head": self.at_head}


def check_anchor(conn: Connection, *, coin_id: int, anchor: Anchor) -> AnchorCheck:
    """Whether the coin's chain still passes through ``anchor``."""
    now = chain_head(conn, coin_id=coin_id, coin_code=anchor.coin_code)
    if anchor.chain_head is None:
        return AnchorCheck(anchor, on_chain=True, at_head=now.chain_head is None)
    stored = conn.execute(
        text("SELECT chain_hash FROM entry_seals WHERE coin_id = :coin AND chain_index = :index"),
        {"coin": coin_id, "index": anchor.chain_index},
    ).scalar_one_or_none()
    on_chain = stored is not None and bytes(stored) == anchor.chain_head
    return AnchorCheck(anchor, on_chain=on_chain, at_head=on_chain and now == anchor)
