"""docs/integration.md quotes the example's code; each quote must still be in its file."""

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
GUIDE = ROOT / "docs" / "integration.md"
QUOTE = re.compile(r"<!-- quoted from (?P<path>\S+) -->\n```python\n(?P<code>.*?)\n```", re.S)


def test_every_quote_in_the_guide_is_the_code_as_it_is() -> None:
    quotes = list(QUOTE.finditer(GUIDE.read_text(encoding="utf-8")))
    assert len(quotes) >= 5
    drifted = [
        q["path"] for q in quotes if q["code"] not in (ROOT / q["path"]).read_text(encoding="utf-8")
    ]
    assert drifted == []
