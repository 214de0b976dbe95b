"""Envelope encryption of secrets at rest: opened only with a configured key, for its purpose."""

import pytest

from kit.sealed_secrets import SealError, SecretBox
from kit.secret_keys import key_id

OLD = "old-secrets-key-0123456789abcdefghijklmnop"
NEW = "new-secrets-key-QRSTUVWXYZ9876543210zyxwvu"
SECRET = "whsec_abcdefghijklmnopqrstuvwxyz0123456789ABCD"


def test_a_sealed_secret_opens_to_itself_and_shows_nothing_of_it() -> None:
    box = SecretBox(NEW)
    sealed = box.seal(SECRET, purpose="webhook")
    assert SECRET not in sealed and "abcdefghij" not in sealed
    assert sealed.startswith(f"v1.{key_id(NEW)}.")
    assert box.open(sealed, purpose="webhook") == SECRET
    assert box.seal(SECRET, purpose="webhook") != sealed, "a fresh data key and nonce each time"


def test_it_opens_only_for_its_purpose_and_only_untampered() -> None:
    box = SecretBox(NEW)
    sealed = box.seal(SECRET, purpose="webhook")
    with pytest.raises(SealError):
        box.open(sealed, purpose="something else")
    flipped = sealed[:-6] + ("A" if sealed[-6] != "A" else "B") + sealed[-5:]
    with pytest.raises(SealError):
        box.open(flipped, purpose="webhook")
    with pytest.raises(SealError):
        box.open("whsec_in_clear", purpose="webhook")


def test_another_key_cannot_open_it() -> None:
    sealed = SecretBox(OLD).seal(SECRET, purpose="webhook")
    with pytest.raises(SealError, match="no configured secrets key"):
        SecretBox(NEW).open(sealed, purpose="webhook")


def test_rotation_rewraps_under_the_new_key_and_the_old_key_can_then_go() -> None:
    sealed = SecretBox(OLD).seal(SECRET, purpose="webhook")
    during = SecretBox(NEW, (OLD,))
    assert during.open(sealed, purpose="webhook") == SECRET
    assert during.needs_rewrap(sealed)
    rewrapped = during.rewrap(sealed, purpose="webhook")
    assert not during.needs_rewrap(rewrapped)
    assert SecretBox(NEW).open(rewrapped, purpose="webhook") == SECRET
