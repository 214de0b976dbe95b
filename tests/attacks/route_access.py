"""Who may call each route of the app: one row per (method, path), the callers allowed in.

The authorization matrix test fails for a route the app serves without a row
here, so every new endpoint has to declare its callers; the schemathesis run
uses the same rows to know which operations must refuse anonymous callers.
"""

from tests.attacks.populated_town import Caller

C = Caller
PUBLIC = frozenset(Caller)
RESIDENT = frozenset({C.RESIDENT})
ISSUER = frozenset({C.ISSUER})
MUNICIPALITY = frozenset({C.MUNICIPALITY})
OPERATOR = frozenset({C.OPERATOR})
BANK_OR_OPERATOR = frozenset({C.ISSUER, C.OPERATOR})
BOOKS_READERS = frozenset({C.ISSUER, C.OPERATOR, C.MUNICIPALITY})
OWNER = frozenset({C.OWNER})
ANY_MERCHANT_KEY = frozenset({C.OWNER, C.TERMINAL})
# Stripe's webhook is public but trusted only with Stripe's signature: no bearer helps.
STRIPE_SIGNED = frozenset[Caller]()
# LINE's events are trusted the same way: only X-Line-Signature under the channel secret.
LINE_SIGNED = STRIPE_SIGNED

MATRIX: dict[tuple[str, str], frozenset[Caller]] = {
    # Operations and documents: public by design, but for /metrics (this machine or the operator).
    ("GET", "/health"): PUBLIC,
    ("GET", "/ready"): PUBLIC,
    ("GET", "/metrics"): OPERATOR,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("MOUNT", "/docs-assets"): PUBLIC,
    ("GET", "/docs-assets/redoc.standalone.js"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/merchant"): PUBLIC,
    ("GET", "/admin"): PUBLIC,
    ("GET", "/manifest.webmanifest"): PUBLIC,
    ("GET", "/sw.js"): PUBLIC,
    ("MOUNT", "/static"): PUBLIC,
    # Residents.
    ("POST", "/v1/residents"): PUBLIC,
    ("GET", "/v1/coins"): PUBLIC,
    ("POST", "/v1/auth/token"): PUBLIC,
    ("POST", "/v1/auth/logout"): RESIDENT,
    ("POST", "/v1/auth/pin"): RESIDENT,
    ("GET", "/v1/wallet"): RESIDENT,
    ("POST", "/v1/wallets"): RESIDENT,
    ("GET", "/v1/wallet/transactions"): RESIDENT,
    ("GET", "/v1/wallet/transactions/export"): RESIDENT,
    ("POST", "/v1/wallet/transfers"): RESIDENT,
    ("POST", "/v1/wallet/payment_tokens"): RESIDENT,
    ("GET", "/v1/wallet/payment_tokens/{token}/qr.png"): RESIDENT,
    ("GET", "/v1/wallet/payment_tokens/{token}/qr.svg"): RESIDENT,
    ("POST", "/v1/wallet/payments"): RESIDENT,
    ("POST", "/v1/wallet/payments/preview"): RESIDENT,
    ("POST", "/v1/wallet/card_topups"): RESIDENT,
    ("GET", "/v1/card_topups/needing_attention"): BANK_OR_OPERATOR,
    ("POST", "/v1/coin/winddown"): ISSUER,
    ("GET", "/v1/coin/winddown"): BOOKS_READERS,
    ("POST", "/v1/coin/winddown/close"): BANK_OR_OPERATOR,
    ("POST", "/v1/wallet/winddown_claims"): RESIDENT,
    ("POST", "/v1/residents/{resident_id}/winddown_claims"): ISSUER,
    ("POST", "/v1/premium_campaigns/{campaign_id}/purchases"): RESIDENT,
    ("GET", "/v1/wallet/premium_campaigns"): RESIDENT,
    ("POST", "/v1/stripe/webhook"): STRIPE_SIGNED,
    # Notices: the resident's preferences, contacts and LINE link; LINE's events.
    ("GET", "/v1/notices/preferences"): RESIDENT,
    ("PUT", "/v1/notices/preferences"): RESIDENT,
    ("POST", "/v1/contacts"): RESIDENT,
    ("POST", "/v1/contacts/{kind}/verify"): RESIDENT,
    ("DELETE", "/v1/contacts/{kind}"): RESIDENT,
    ("POST", "/v1/notices/line/link"): RESIDENT,
    ("POST", "/v1/line/webhook"): LINE_SIGNED,
    ("GET", "/v1/notices/deliveries"): BANK_OR_OPERATOR,
    # Issuer (bank).
    ("POST", "/v1/residents/{resident_id}/verify"): ISSUER,
    ("POST", "/v1/residents/{resident_id}/erasure"): BANK_OR_OPERATOR,
    ("POST", "/v1/residents/{resident_id}/pin_reset"): ISSUER,
    ("POST", "/v1/topups"): ISSUER,
    ("POST", "/v1/residents/{resident_id}/cards"): ISSUER,
    ("POST", "/v1/cards/{card_id}/block"): ISSUER,
    ("GET", "/v1/cards/{card_id}"): ISSUER,
    ("POST", "/v1/premium_purchases/{purchase_id}/confirm"): ISSUER,
    ("POST", "/v1/settlement/settings"): ISSUER,
    ("GET", "/v1/settlement/tax_rates"): ISSUER,
    ("POST", "/v1/settlement/tax_rates"): ISSUER,
    ("GET", "/v1/settlement/invoices"): BANK_OR_OPERATOR,
    ("GET", "/v1/merchant/invoice"): OWNER,
    ("POST", "/v1/settlement/batches"): ISSUER,
    ("GET", "/v1/settlement/batches"): ISSUER,
    ("GET", "/v1/settlement/batches/{batch_id}"): ISSUER,
    ("GET", "/v1/settlement/batches/{batch_id}/zengin"): ISSUER,
    ("POST", "/v1/settlement/batches/{batch_id}/results"): ISSUER,
    ("GET", "/v1/settlement/batches/{batch_id}/reconciliation"): ISSUER,
    ("GET", "/v1/settlement/reconciliation"): ISSUER,
    ("POST", "/v1/merchants/{merchant_id}/payout_schedule"): ISSUER,
    ("POST", "/v1/institutions"): ISSUER,
    ("PUT", "/v1/fee_sharing"): ISSUER,
    # Issuer or operator.
    ("POST", "/v1/coin_rules"): BANK_OR_OPERATOR,
    ("POST", "/v1/merchants"): BANK_OR_OPERATOR,
    ("POST", "/v1/merchants/kana_preview"): BANK_OR_OPERATOR,
    ("POST", "/v1/merchants/{merchant_id}/location"): BANK_OR_OPERATOR,
    ("GET", "/v1/qr_settings"): BANK_OR_OPERATOR,
    ("POST", "/v1/qr_settings"): BANK_OR_OPERATOR,
    ("GET", "/v1/merchants"): BANK_OR_OPERATOR,
    ("GET", "/v1/merchants/{merchant_id}"): BANK_OR_OPERATOR,
    ("POST", "/v1/merchants/{merchant_id}/suspend"): BANK_OR_OPERATOR,
    ("POST", "/v1/merchants/{merchant_id}/reactivate"): BANK_OR_OPERATOR,
    ("GET", "/v1/fee_plans"): BANK_OR_OPERATOR,
    ("POST", "/v1/fee_plans"): BANK_OR_OPERATOR,
    ("POST", "/v1/merchants/{merchant_id}/fees"): BANK_OR_OPERATOR,
    ("GET", "/v1/reports/unused_balance"): BANK_OR_OPERATOR,
    ("GET", "/v1/reports/fees"): BANK_OR_OPERATOR,
    ("GET", "/v1/reports/institutions"): BANK_OR_OPERATOR,
    ("GET", "/v1/institutions"): BANK_OR_OPERATOR,
    ("GET", "/v1/fee_sharing"): BANK_OR_OPERATOR,
    ("POST", "/v1/api_keys"): BANK_OR_OPERATOR,
    ("GET", "/v1/api_keys"): BANK_OR_OPERATOR,
    ("GET", "/v1/api_keys/{key_id}"): BANK_OR_OPERATOR,
    ("POST", "/v1/api_keys/{key_id}/revoke"): BANK_OR_OPERATOR,
    ("POST", "/v1/api_keys/{key_id}/rotate"): BANK_OR_OPERATOR,
    # Readers of the coin's figures.
    ("GET", "/v1/coin_rules"): BOOKS_READERS,
    ("GET", "/v1/reports/kpi"): BOOKS_READERS,
    ("GET", "/v1/reports/kpi.csv"): BOOKS_READERS,
    # Approvals: each kind's own role decides; every institution reads its queue.
    ("GET", "/v1/approvals"): BOOKS_READERS,
    ("GET", "/v1/approvals/{approval_id}"): BOOKS_READERS,
    ("POST", "/v1/approvals/{approval_id}/approve"): frozenset({C.ISSUER, C.MUNICIPALITY}),
    ("POST", "/v1/approvals/{approval_id}/reject"): frozenset({C.ISSUER, C.MUNICIPALITY}),
    # Municipality.
    ("POST", "/v1/points/grants"): MUNICIPALITY,
    ("POST", "/v1/premium_campaigns"): MUNICIPALITY,
    ("GET", "/v1/premium_campaigns"): frozenset({C.MUNICIPALITY, C.ISSUER}),
    ("GET", "/v1/premium_campaigns/{campaign_id}"): frozenset({C.MUNICIPALITY, C.ISSUER}),
    # Any API key: which coin and role it stands for.
    ("GET", "/v1/me"): frozenset({C.OPERATOR, C.ISSUER, C.MUNICIPALITY, C.OWNER, C.TERMINAL}),
    # Operator.
    ("GET", "/v1/ledger/summary"): OPERATOR,
    # A merchant's own key: its shop, keys, money and webhooks.
    ("GET", "/v1/merchant"): OWNER,
    ("POST", "/v1/merchant/stores"): OWNER,
    ("GET", "/v1/merchant/stores"): OWNER,
    ("POST", "/v1/merchant/till_limits"): OWNER,
    ("POST", "/v1/merchant/terminals"): OWNER,
    ("GET", "/v1/merchant/terminals"): OWNER,
    ("POST", "/v1/merchant/terminals/{terminal_id}/rotate_key"): OWNER,
    ("POST", "/v1/merchant/terminals/{terminal_id}/disable"): OWNER,
    ("POST", "/v1/merchant/api_keys"): OWNER,
    ("GET", "/v1/merchant/api_keys"): OWNER,
    ("POST", "/v1/merchant/api_keys/{key_id}/revoke"): OWNER,
    ("POST", "/v1/merchant/transfers"): OWNER,
    ("GET", "/v1/merchant/transfers"): OWNER,
    ("POST", "/v1/merchant/resident_payments"): OWNER,
    ("GET", "/v1/merchant/resident_payments"): OWNER,
    ("POST", "/v1/payouts"): OWNER,
    ("GET", "/v1/payouts"): OWNER,
    ("GET", "/v1/payouts/{payout_id}"): OWNER,
    ("POST", "/v1/payouts/{payout_id}/cancel"): OWNER,
    ("POST", "/v1/webhook_endpoints"): OWNER,
    ("GET", "/v1/webhook_endpoints"): OWNER,
    ("GET", "/v1/webhook_endpoints/{endpoint_id}"): OWNER,
    ("POST", "/v1/webhook_endpoints/{endpoint_id}/disable"): OWNER,
    ("POST", "/v1/webhook_endpoints/{endpoint_id}/rotate_secret"): OWNER,
    ("GET", "/v1/webhook_endpoints/{endpoint_id}/deliveries"): OWNER,
    ("GET", "/v1/events"): OWNER,
    ("GET", "/v1/events/{event_id}"): OWNER,
    ("POST", "/v1/events/{event_id}/redeliver"): OWNER,
    # Any key of the merchant, its tills' included: taking and giving back payments.
    ("GET", "/v1/merchant/qr"): ANY_MERCHANT_KEY,
    ("GET", "/v1/merchant/sales"): ANY_MERCHANT_KEY,
    ("GET", "/v1/merchant/revenue.csv"): OWNER,
    ("GET", "/v1/merchant/qr.png"): ANY_MERCHANT_KEY,
    ("GET", "/v1/merchant/qr.svg"): ANY_MERCHANT_KEY,
    ("POST", "/v1/charges"): ANY_MERCHANT_KEY,
    ("GET", "/v1/charges"): ANY_MERCHANT_KEY,
    ("GET", "/v1/charges/{charge_id}"): ANY_MERCHANT_KEY,
    # A till reads the receipts of the charges it took (tests/merchant/payments/test_counter.py).
    ("GET", "/v1/charges/{charge_id}/receipt"): ANY_MERCHANT_KEY,
    ("POST", "/v1/refunds"): ANY_MERCHANT_KEY,
    ("GET", "/v1/refunds"): ANY_MERCHANT_KEY,
    ("GET", "/v1/refunds/{refund_id}"): ANY_MERCHANT_KEY,
    ("POST", "/v1/payment_intents"): ANY_MERCHANT_KEY,
    ("GET", "/v1/payment_intents"): ANY_MERCHANT_KEY,
    ("GET", "/v1/payment_intents/{intent_id}"): ANY_MERCHANT_KEY,
    ("POST", "/v1/payment_intents/{intent_id}/capture"): ANY_MERCHANT_KEY,
    ("POST", "/v1/payment_intents/{intent_id}/cancel"): ANY_MERCHANT_KEY,
    ("GET", "/v1/payment_intents/{intent_id}/qr.png"): ANY_MERCHANT_KEY,
    ("GET", "/v1/payment_intents/{intent_id}/qr.svg"): ANY_MERCHANT_KEY,
}
