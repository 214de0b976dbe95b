"""Fee rounding: a merchant gains nothing by splitting a cash-out or a BtoB transfer."""

from hypothesis import given
from hypothesis import strategies as st

from merchant.accounts.fees import BP_PER_UNIT, fee_for, fee_rounded_up


@given(
    st.lists(st.integers(1, 10_000_000), min_size=1, max_size=50),
    st.integers(0, BP_PER_UNIT),
)
def test_no_split_of_a_cash_out_pays_less_fee_than_the_whole(parts: list[int], rate: int) -> None:
    assert sum(fee_rounded_up(p, rate) for p in parts) >= fee_rounded_up(sum(parts), rate)


def test_rounded_down_a_split_would_dodge_the_fee() -> None:
    # Why cash-outs and BtoB round up: 161 cash-outs of 62 at 1.6% would pay nothing.
    assert fee_for(62, 160) == 0 and fee_for(62 * 161, 160) == 159
    assert fee_rounded_up(62, 160) * 161 >= fee_rounded_up(62 * 161, 160) > 0
