"""Set-up for the resident wallet's browser tests, all through the public API.

A resident signed up and topped up by the issuer, a shop onboarded by the
issuer (``POST /v1/merchants``) with its own merchant key, and the page
driven as a resident would: the PIN log-in through the UI.
"""

import itertools
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Locator, Page, expect

from kit.credentials import Role
from tests.web.conftest import WebTown

PIN = "2468"
# What the page says, in the characters it uses (full-width brackets and digits).
PIN_LABEL = "暗証番号（4〜6けたの数字）"  # noqa: RUF001
NEW_PIN_LABEL = "暗証番号を決める（4〜6けたの数字）"  # noqa: RUF001
NAME_LABEL = "お名前（よびな）"  # noqa: RUF001
AMOUNT_LABEL = "支払う金額（コイン）"  # noqa: RUF001
SEND_AMOUNT_LABEL = "送る金額（コイン）"  # noqa: RUF001
OFFER_TEXT = "10,000円で 12,000コイン（2,000コインお得）"  # noqa: RUF001
FULL_WIDTH_12000 = "１２，０００"  # noqa: RUF001
_refs = itertools.count(1)


@dataclass(frozen=True)
class WebShop:
    merchant_id: str
    name: str
    key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass(frozen=True)
class WebResident:
    resident_id: str
    wallet_id: str
    pin: str


def post(town: WebTown, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    """A POST that must succeed; its JSON answer."""
    response = town.api.post(
        path, json=body, headers={**headers, "Idempotency-Key": f"set-up-{next(_refs)}"}
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


def open_shop(town: WebTown, name: str = "みどり商店") -> WebShop:
    made = post(
        town,
        "/v1/merchants",
        {
            "name": name,
            "name_kana": "ﾐﾄﾞﾘｼｮｳﾃﾝ",
            "category": "food",
            "postal_code": "506-0011",
            "city": "高山市",
            "city_romaji": "TAKAYAMA",
            "bank_account": {
                "bank_code": "0001",
                "branch_code": "001",
                "account_type": "ordinary",
                "account_number": "1234567",
                "holder_kana": "ﾐﾄﾞﾘｼｮｳﾃﾝ",
            },
        },
        town.as_role(Role.ISSUER),
    )
    return WebShop(made["merchant_id"], made["name"], made["api_key"])


def sign_up(town: WebTown, name: str = "山田花子", pin: str = PIN) -> WebResident:
    made = post(town, "/v1/residents", {"coin": town.code, "display_name": name, "pin": pin}, {})
    return WebResident(made["resident_id"], made["wallet_id"], pin)


def top_up(town: WebTown, wallet_id: str, amount: int) -> None:
    post(
        town,
        "/v1/topups",
        {
            "wallet_id": wallet_id,
            "amount": amount,
            "channel": "counter",
            "reference": f"counter-{next(_refs)}",
        },
        town.as_role(Role.ISSUER),
    )


def verify(town: WebTown, resident: WebResident) -> None:
    post(
        town,
        f"/v1/residents/{resident.resident_id}/verify",
        {"method": "counter", "reference": f"id-check-{next(_refs)}"},
        town.as_role(Role.ISSUER),
    )


def resident_token(town: WebTown, resident: WebResident) -> dict[str, str]:
    name = resident.resident_id
    who = {"resident_id": name} if name.startswith("res_") else {"login": name}
    answer = post(town, "/v1/auth/token", who | {"pin": resident.pin}, {})
    return {"Authorization": f"Bearer {answer['access_token']}"}


def balance(town: WebTown, resident: WebResident) -> dict[str, int]:
    response = town.api.get("/v1/wallet", headers=resident_token(town, resident))
    assert response.status_code == 200, response.text
    found: dict[str, int] = response.json()["balance"]
    return found


def here(page: Page) -> Locator:
    """The screen on show (the others are in the page too, hidden)."""
    return page.locator("section.screen:visible")


def log_in(page: Page, town: WebTown, resident: WebResident, path: str = "/") -> None:
    """Opens the wallet and logs in with the resident's number and PIN, as a resident types them."""
    page.goto(town.server.url + path)
    here(page).get_by_label("利用者番号").fill(resident.resident_id)
    here(page).get_by_label(PIN_LABEL).fill(resident.pin)
    here(page).get_by_role("button", name="ログインする", exact=True).click()


def expect_home(page: Page, available: str) -> None:
    expect(page.get_by_role("heading", level=1, name="残高")).to_be_visible()
    expect(page.locator("#bal-available")).to_have_text(available)
