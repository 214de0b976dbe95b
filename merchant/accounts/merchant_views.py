"""A merchant as the API shows it, to the issuer and to the merchant itself."""

from sqlalchemy import Connection

from merchant.accounts.fees import FeeKind, rate_for
from merchant.accounts.merchants import Merchant
from merchant.accounts.schemas import BankAccountPublic, FeeOverrides, FeeRates, MerchantPublic


def merchant_public(conn: Connection, merchant: Merchant) -> MerchantPublic:
    account = merchant.bank_account
    return MerchantPublic(
        merchant_id=merchant.public_id,
        wallet_id=merchant.wallet_public_id,
        name=merchant.name,
        name_kana=merchant.name_kana,
        category=merchant.category,
        member_group=merchant.member_group,
        status=merchant.status.value,
        bank_account=BankAccountPublic(
            bank_code=account.bank_code,
            branch_code=account.branch_code,
            account_type=account.account_type.value,
            account_number=account.account_number,
            holder_kana=account.holder_kana,
        ),
        fee_overrides=FeeOverrides(
            **{f"{kind}_bp": bp for kind, bp in merchant.fee_overrides.items()}
        ),
        fees=FeeRates(
            payment_bp=rate_for(conn, merchant, FeeKind.PAYMENT),
            cashout_bp=rate_for(conn, merchant, FeeKind.CASHOUT),
            btob_bp=rate_for(conn, merchant, FeeKind.BTOB),
        ),
        postal_code=merchant.postal_code,
        city=merchant.city,
        city_romaji=merchant.city_romaji,
        jpqr_store_id=merchant.jpqr_store_id,
    )
