"""Customer-presented payment tokens: a resident shows one, a till charges it once.

Pure: no database. Single use (token_used) is the charge's unique token id and
is tested with the charge service, not here.
"""

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import qrcode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.clock import FixedClock
from wallet_api.payment_tokens import (
    CLOCK_SKEW_S,
    KID_MAX,
    TOKEN_BYTES,
    TOKEN_CHARS,
    TOKEN_CHARS_MAX,
    TOKEN_ID_BYTES,
    TOKEN_PREFIX,
    TOKEN_TTL_S,
    Claims,
    IssuedToken,
    TokenCode,
    TokenError,
    TokenSigner,
    TokenVerifier,
    decode_token_bytes,
    encode_token_bytes,
    generate_signing_key,
    issue_token,
    private_key_from_bytes,
    private_key_to_bytes,
    public_key_from_bytes,
    public_key_to_bytes,
    verify_token,
)

T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
SARUBOBO = 7  # the coin of the resident and of the till
OTHER_COIN = 8
HANAKO_WALLET = 4_000_123
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")

SIGNER = generate_signing_key()
VERIFIER = TokenVerifier({SIGNER.kid: SIGNER.public_key})


def _issue(at: datetime = T0, *, signer: TokenSigner = SIGNER) -> IssuedToken:
    return issue_token(
        signer=signer, coin_id=SARUBOBO, wallet_id=HANAKO_WALLET, clock=FixedClock(at)
    )


def _verify(token: str, at: datetime, *, verifier: TokenVerifier = VERIFIER) -> Claims:
    return verify_token(token, verifier=verifier, coin_id=SARUBOBO, clock=FixedClock(at))


def _refusal(token: str, at: datetime = T0, *, verifier: TokenVerifier = VERIFIER) -> TokenCode:
    with pytest.raises(TokenError) as refused:
        _verify(token, at, verifier=verifier)
    return refused.value.code


def test_a_till_reads_back_what_the_wallet_was_issued() -> None:
    issued = _issue()

    claims = _verify(issued.token, T0 + timedelta(seconds=10))

    assert claims == issued.claims
    assert claims.version == 1
    assert claims.kid == SIGNER.kid
    assert claims.coin_id == SARUBOBO
    assert claims.wallet_id == HANAKO_WALLET
    assert len(claims.token_id) == TOKEN_ID_BYTES
    assert claims.issued_at == int(T0.timestamp())
    assert claims.expires_at == claims.issued_at + TOKEN_TTL_S
    assert issued.expires_at == T0 + timedelta(seconds=TOKEN_TTL_S)
    assert issued.expires_at.tzinfo is UTC
    assert issued.qr_payload == issued.token


def test_a_token_is_good_until_one_second_before_it_expires_and_refused_at_expiry() -> None:
    issued = _issue()

    _verify(issued.token, issued.expires_at - timedelta(seconds=1))
    _verify(issued.token, issued.expires_at - timedelta(microseconds=1))
    assert _refusal(issued.token, issued.expires_at) == TokenCode.EXPIRED
    assert _refusal(issued.token, issued.expires_at + timedelta(hours=1)) == TokenCode.EXPIRED


def test_fractions_of_a_second_at_issue_do_not_stretch_the_lifetime() -> None:
    issued = _issue(T0 + timedelta(milliseconds=999))

    assert issued.expires_at == T0 + timedelta(seconds=TOKEN_TTL_S)
    assert _refusal(issued.token, T0 + timedelta(seconds=TOKEN_TTL_S)) == TokenCode.EXPIRED


def test_a_server_clock_a_little_ahead_is_forgiven_but_not_more() -> None:
    # The issuing server's clock runs ahead of the till's.
    issued = _issue(T0 + timedelta(seconds=CLOCK_SKEW_S))
    _verify(issued.token, T0)

    too_early = _issue(T0 + timedelta(seconds=CLOCK_SKEW_S + 1))
    assert _refusal(too_early.token, T0) == TokenCode.NOT_YET_VALID
    _verify(too_early.token, T0 + timedelta(seconds=1))


def test_a_till_of_another_coin_cannot_charge_the_wallet() -> None:
    issued = _issue()

    with pytest.raises(TokenError) as refused:
        verify_token(issued.token, verifier=VERIFIER, coin_id=OTHER_COIN, clock=FixedClock(T0))

    assert refused.value.code == TokenCode.WRONG_COIN


def test_a_token_signed_with_a_key_the_verifier_does_not_know_is_refused() -> None:
    stranger = generate_signing_key(avoid_kids={SIGNER.kid})

    assert _refusal(_issue(signer=stranger).token) == TokenCode.UNKNOWN_KEY


def test_a_token_signed_by_another_key_under_our_kid_is_forged() -> None:
    impostor = TokenSigner(kid=SIGNER.kid, private_key=Ed25519PrivateKey.generate())

    assert _refusal(_issue(signer=impostor).token) == TokenCode.FORGED


def test_every_single_bit_flip_is_refused() -> None:
    raw = decode_token_bytes(_issue().token)
    assert len(raw) == TOKEN_BYTES
    codes = set()

    for bit in range(len(raw) * 8):
        flipped = bytearray(raw)
        flipped[bit // 8] ^= 1 << (bit % 8)
        codes.add(_refusal(encode_token_bytes(bytes(flipped))))

    # Flips in the kid byte may name no key; every other flip breaks the signature.
    assert codes == {TokenCode.UNKNOWN_KEY, TokenCode.FORGED}


def test_claims_are_checked_before_the_clock_and_the_coin() -> None:
    # An expired token for another coin, signed by a stranger: the key speaks first.
    stranger = generate_signing_key(avoid_kids={SIGNER.kid})
    late = T0 + timedelta(hours=1)
    token = issue_token(signer=stranger, coin_id=OTHER_COIN, wallet_id=1, clock=FixedClock(T0))

    assert _refusal(token.token, late) == TokenCode.UNKNOWN_KEY
    with pytest.raises(TokenError) as refused:
        verify_token(_issue().token, verifier=VERIFIER, coin_id=OTHER_COIN, clock=FixedClock(late))
    assert refused.value.code == TokenCode.EXPIRED


def _noncanonical(token: str) -> str:
    # 91 bytes leave 2 filler bits in the last character; setting one of them
    # decodes to the same bytes, so only the canonical-spelling check catches it.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    last = alphabet.index(token[-1])
    return token[:-1] + alphabet[last | 1]


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda t: "", id="empty"),
        pytest.param(lambda t: "XX" + t[2:], id="another scheme"),
        pytest.param(lambda t: "LC2" + t[3:], id="unknown version"),
        pytest.param(lambda t: t[:-1], id="one character short"),
        pytest.param(lambda t: t + "A", id="one character long"),
        pytest.param(lambda t: t.lower(), id="lower case"),
        pytest.param(lambda t: t[:-1] + "1", id="not base32"),
        pytest.param(lambda t: t[:-1] + "=", id="padding"),
        pytest.param(lambda t: t[:10] + " " + t[11:], id="a space"),
        pytest.param(lambda t: t[:-1] + "\uff21", id="full-width letter"),
        pytest.param(_noncanonical, id="non-canonical spelling"),
    ],
)
def test_text_that_is_not_a_token_is_malformed(mangle: Callable[[str], str]) -> None:
    token = _issue().token

    assert _refusal(mangle(token)) == TokenCode.MALFORMED


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(),
        st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=", max_size=200).map(
            lambda body: TOKEN_PREFIX + body
        ),
        st.binary(min_size=TOKEN_BYTES, max_size=TOKEN_BYTES).map(encode_token_bytes),
    )
)
def test_any_string_is_refused_with_a_token_error_and_nothing_else(text: str) -> None:
    with pytest.raises(TokenError):
        _verify(text, T0)


def test_during_a_rotation_tokens_of_the_old_and_the_new_key_both_verify() -> None:
    old = generate_signing_key()
    new = generate_signing_key(avoid_kids={old.kid})
    verifier = TokenVerifier({old.kid: old.public_key, new.kid: new.public_key})

    before = _issue(signer=old)
    after = _issue(signer=new)

    assert _verify(before.token, T0, verifier=verifier).kid == old.kid
    assert _verify(after.token, T0, verifier=verifier).kid == new.kid
    # Once the old key is dropped its tokens are refused.
    only_new = TokenVerifier({new.kid: new.public_key})
    assert _refusal(before.token, verifier=only_new) == TokenCode.UNKNOWN_KEY


def test_token_ids_do_not_repeat() -> None:
    issued = [_issue() for _ in range(2000)]

    assert len({token.claims.token_id for token in issued}) == 2000
    assert len({token.token for token in issued}) == 2000


def test_a_token_fits_a_small_qr_code() -> None:
    token = _issue().token

    assert len(token) == TOKEN_CHARS
    assert TOKEN_CHARS <= TOKEN_CHARS_MAX < 150
    assert token.startswith(TOKEN_PREFIX)


def test_a_token_uses_only_qr_alphanumeric_characters() -> None:
    for _ in range(50):
        token = _issue().token
        assert set(token) <= QR_ALPHANUMERIC, token


def test_the_qr_code_is_alphanumeric_mode_version_6_at_error_correction_m() -> None:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(_issue().token, optimize=0)
    code.make(fit=True)

    assert code.data_list[0].mode == qrcode.util.MODE_ALPHA_NUM
    assert code.version == 6


def test_keys_survive_a_trip_through_raw_bytes() -> None:
    signer = generate_signing_key()
    private_raw = private_key_to_bytes(signer.private_key)
    public_raw = public_key_to_bytes(signer.public_key)
    assert len(private_raw) == 32
    assert len(public_raw) == 32

    reloaded = TokenSigner(kid=signer.kid, private_key=private_key_from_bytes(private_raw))
    verifier = TokenVerifier({signer.kid: public_key_from_bytes(public_raw)})

    assert _verify(_issue(signer=reloaded).token, T0, verifier=verifier).kid == signer.kid
    with pytest.raises(ValueError, match="32 bytes"):
        private_key_from_bytes(private_raw[:31])
    with pytest.raises(ValueError, match="32 bytes"):
        public_key_from_bytes(public_raw + b"\0")


def test_keys_and_tokens_stay_out_of_reprs() -> None:
    signer = generate_signing_key()
    issued = _issue(signer=signer)
    private_hex = private_key_to_bytes(signer.private_key).hex()

    assert private_hex not in repr(signer)
    assert "private_key" not in repr(signer)
    assert issued.token not in repr(issued)
    assert issued.claims.token_id.hex() not in repr(issued.claims)
    assert (
        repr(TokenVerifier({signer.kid: signer.public_key}))
        == f"TokenVerifier(kids=[{signer.kid}])"
    )


def test_a_new_key_avoids_the_live_kids() -> None:
    live = set(range(KID_MAX + 1)) - {42}

    assert generate_signing_key(avoid_kids=live).kid == 42


def test_the_token_layout_is_fixed() -> None:
    issued = _issue()
    raw = decode_token_bytes(issued.token)
    claims = issued.claims

    assert raw[0] == claims.kid
    assert int.from_bytes(raw[1:3]) == SARUBOBO
    assert int.from_bytes(raw[3:7]) == HANAKO_WALLET
    assert int.from_bytes(raw[7:11]) == claims.issued_at
    assert raw[11:27] == claims.token_id
    assert len(raw[27:]) == 64
    assert issued.token[len(TOKEN_PREFIX) :] == base64.b32encode(raw).decode().rstrip("=")
