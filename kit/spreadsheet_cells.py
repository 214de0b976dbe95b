"""CSV cells a spreadsheet cannot run: text that would start a formula is quoted.

Excel and LibreOffice read a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
or a carriage return as a formula (CSV injection): a shop named
``=HYPERLINK("http://…")`` would become a live link in a resident's history
export or the city's figures. Such text gets a leading apostrophe, which the
spreadsheet shows as text; numbers (amounts, ``-500`` included) are left as
numbers.
"""

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?[0-9]+(\.[0-9]+)?$")


def spreadsheet_text(value: object) -> object:
    """``value`` as a CSV cell: text that would start a formula, quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value
