"""The file ``localcoin ledger anchor --out`` writes and ``ledger verify --anchor`` reads:
the command's own JSON result, so the line printed by a nightly job is itself a valid
anchor file wherever it was kept."""

import json
from pathlib import Path
from typing import Any

from ledger.anchors import Anchor


def anchor_document(anchors: list[Anchor], *, anchored_at: str) -> dict[str, Any]:
    return {
        "ok": True,
        "anchored_at": anchored_at,
        "coins": [anchor.as_dict() for anchor in anchors],
    }


def write_anchor_file(path: Path, document: dict[str, Any]) -> None:
    """Writes a new file; an anchor already written is never replaced."""
    with path.open("x", encoding="utf-8") as out:
        out.write(json.dumps(document, ensure_ascii=False) + "\n")


def read_anchor_file(path: Path) -> list[Anchor]:
    """The anchors in ``path``; ValueError when it is not an anchor document."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"cannot read {path}: {error}") from None
    coins = document.get("coins") if isinstance(document, dict) else None
    if not isinstance(coins, list):
        raise ValueError(f"{path} is not an anchor file (no coins list)")
    return [Anchor.from_dict(each) for each in coins]
