"""The PIN step-up: from the coin's step-up amount on, a payment or transfer carries the PIN.

A resident's access token proves the phone was unlocked and logged in; it
does not prove the person holding it now is the resident. So from the coin's
``step_up_amount`` (default 10,000) the request carries the PIN, checked
here by the server (not only asked for by the page). A PIN given below the
amount is checked too. A wrong PIN counts toward the same lockout as a
log-in; the refusal is *returned*, so the count commits with the answer.
"""

from datetime import datetime

from sqlalchemy import Connection

from kit.errors import Code
from kit.problems import Problem
from wallet_api.pins import PinHasher
from wallet_api.residents import check_pin, locked_problem
from wallet_api.rules import CoinRules


def step_up_refusal(
    conn: Connection,
    *,
    rules: CoinRules,
    amount: int,
    resident_id: int,
    pin: str | None,
    hasher: PinHasher,
    at: datetime,
) -> Problem | None:
    """None when the request may go on; otherwise why not (to be answered, not raised)."""
    if pin is None:
        if amount < rules.step_up_amount:
            return None
        return Problem(
            Code.PIN_REQUIRED,
            f'from {rules.step_up_amount} coin on, send the resident\'s PIN as "pin"',
        )
    refusal = check_pin(conn, resident_id=resident_id, pin=pin, hasher=hasher, at=at, via="step_up")
    if refusal is None:
        return None
    if refusal.locked_until is not None:
        return locked_problem(refusal.locked_until)
    return Problem(Code.PIN_INCORRECT, "the PIN does not match")
