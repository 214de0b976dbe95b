"""The sides' result codes: one table of every code the API answers with, and what it means.

A code is a stable snake_case string; callers branch on it, so neither a code
nor its HTTP status ever changes once published. The side code raises
``Problem(Code.X, detail)`` and ``kit.problems`` answers with the status
written here. The ledger's own codes live in ``ledger.errors`` (their statuses
in ``kit.problems``, both documented by ``kit.problems.refusal_of``). A code
both tables hold (``coin_not_found``, ``cursor_invalid``, ...) names the same
refusal with the same status, but ``idempotency_key_invalid``: 400 for the
request's header, 422 for a key the ledger is given.

Grouped by kind, in the order a request meets them: who is asking, the
request's data, what it names, idempotency and uniqueness, the state of what
it names, limits, and the services behind the API.
"""

from dataclasses import dataclass
from enum import StrEnum, unique
from http import HTTPStatus


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a code means to a caller: the documentation of one row of the table.

    Attributes:
        status: the HTTP status every answer with this code has.
        title: a few words for people, the same for every answer with the code.
        description: one line: when the code is answered, and what to do about it.
    """

    status: HTTPStatus
    title: str
    description: str


@unique
class Code(StrEnum):
    """Why the API refused a request. Each member carries its `refusal`."""

    refusal: Refusal

    def __new__(cls, value: str, status: int, title: str, description: str) -> "Code":
        member = str.__new__(cls, value)
        member._value_ = value
        member.refusal = Refusal(HTTPStatus(status), title, description)
        return member

    # Who is asking: the credential, its role, the resident's lockout, rate limits.
    UNAUTHENTICATED = (
        "unauthenticated",
        401,
        "Not authenticated",
        "No API key or access token, or one that is not valid (unknown, revoked, expired).",
    )
    CREDENTIALS_INVALID = (
        "credentials_invalid",
        401,
        "Wrong resident or PIN",
        "The log-in names no resident, or the PIN is wrong; wrong PINs count toward the lockout.",
    )
    FORBIDDEN = "forbidden", 403, "Not this role's call", "The key's role may not make this call."
    TERMINAL_KEY_NOT_ALLOWED = (
        "terminal_key_not_allowed",
        403,
        "Terminal key",
        "A terminal's key only takes payments at its till; use the merchant's own key.",
    )
    COIN_FORBIDDEN = (
        "coin_forbidden",
        403,
        "Another coin",
        "A key onboards merchants in its own coin only.",
    )
    KEY_ROLE_NOT_ALLOWED = (
        "key_role_not_allowed",
        403,
        "Key role not allowed",
        "A key makes, rotates or revokes keys of its own role or below, never a merchant's.",
    )
    APPROVAL_BY_MAKER = (
        "approval_by_maker",
        403,
        "Four eyes",
        "The key that asked for an issuance cannot approve or reject it; another named key must.",
    )
    TIER_NOT_ALLOWED = (
        "tier_not_allowed",
        403,
        "Wallet not verified",
        "Only a verified wallet may send coin; the issuer checks the resident's identity first.",
    )
    NOT_ALLOWED_BY_COIN = (
        "not_allowed_by_coin",
        403,
        "Not allowed in this coin",
        "The coin's rules do not let merchants pay residents.",
    )
    MERCHANT_SUSPENDED = (
        "merchant_suspended",
        403,
        "Merchant suspended",
        "The merchant takes no payment while suspended; the issuer can reactivate it.",
    )
    CARD_BLOCKED = "card_blocked", 403, "Card blocked", "The card was blocked; it pays no more."
    CARD_PIN_INCORRECT = (
        "card_pin_incorrect",
        403,
        "Wrong card PIN",
        "The PIN is not the card's; it counts toward the resident's lockout.",
    )
    RESIDENT_LOCKED = (
        "resident_locked",
        423,
        "Resident locked",
        "Too many wrong PINs; the resident can try again after the time the detail names.",
    )
    RATE_LIMITED = (
        "rate_limited",
        429,
        "Too many attempts",
        "Too many failed log-ins, card PINs or sign-ups from one caller; wait Retry-After seconds.",
    )

    # The request itself: its size, its Idempotency-Key, its fields.
    INDIVIDUAL_NUMBER_REFUSED = (
        "individual_number_refused",
        422,
        "Individual number refused",
        "A verification reference shaped like an individual number (12 digits) is not kept.",
    )
    KEY_LABEL_INVALID = (
        "key_label_invalid",
        422,
        "Bad key label",
        "A named key's label says who or what holds it, in 1 to 200 characters.",
    )
    KEY_EXPIRY_INVALID = (
        "key_expiry_invalid",
        422,
        "Bad key expiry",
        "A key's expires_at is in the future.",
    )
    REQUEST_TOO_LARGE = (
        "request_too_large",
        413,
        "Request too large",
        "The request body is over the size limit the detail names.",
    )
    IDEMPOTENCY_KEY_INVALID = (
        "idempotency_key_invalid",
        400,
        "Bad Idempotency-Key",
        "The Idempotency-Key header is empty, over 255 characters or not printable.",
    )
    VALIDATION_ERROR = (
        "validation_error",
        422,
        "Invalid request",
        "A field is missing, of the wrong type or out of range; `errors` names each one.",
    )
    SIGNATURE_INVALID = (
        "signature_invalid",
        400,
        "Bad signature",
        "The card processor's webhook signature does not verify; the event is ignored.",
    )
    CURSOR_INVALID = (
        "cursor_invalid",
        422,
        "Unknown cursor",
        "`starting_after` names no item of this list.",
    )
    AMOUNT_INVALID = (
        "amount_invalid",
        422,
        "Amount out of range",
        "The amount is not a positive integer within the bounds the detail names.",
    )
    AMOUNT_REQUIRED = (
        "amount_required",
        422,
        "Amount required",
        "A static QR code carries no amount: send the amount to pay.",
    )
    AMOUNT_MISMATCH = (
        "amount_mismatch",
        422,
        "Amount differs",
        "The QR code asks for another amount; pay it without an amount or with that one.",
    )
    INVALID_QR = (
        "invalid_qr",
        422,
        "Invalid QR code",
        "The payload is not a payable QR code of this platform, or not its intent's.",
    )
    CAPTURE_AMOUNT_INVALID = (
        "capture_amount_invalid",
        422,
        "Capture too large",
        "At most the amount held can be captured.",
    )
    EXPIRES_AT_INVALID = (
        "expires_at_invalid",
        422,
        "Bad expiry",
        "`expires_at` is not in the future, or further away than the call allows.",
    )
    BATCH_TOO_LARGE = (
        "batch_too_large",
        422,
        "Too many wallets",
        "A points grant names more wallets than one grant may; split it.",
    )
    WALLET_IDS_DUPLICATED = (
        "wallet_ids_duplicated",
        422,
        "Wallet named twice",
        "A points grant names each wallet once.",
    )
    RULES_INVALID = (
        "rules_invalid",
        422,
        "Invalid coin rules",
        "The coin's new rules break a bound or contradict each other; the detail says which.",
    )
    CAMPAIGN_INVALID = (
        "campaign_invalid",
        422,
        "Invalid campaign",
        "The premium campaign's terms break a rule; the detail says which.",
    )
    MEMBER_GROUP_INVALID = (
        "member_group_invalid",
        422,
        "Bad member group",
        "A member group is up to 40 of a-z, 0-9 and _ ('' is the standard plan).",
    )
    FEE_SHARING_INVALID = (
        "fee_sharing_invalid",
        422,
        "Invalid fee sharing",
        "A fee-sharing rule names each party once and its shares sum to 10,000 bp.",
    )
    WEEKDAY_INVALID = (
        "weekday_invalid",
        422,
        "Bad weekday",
        "A weekly payout schedule names its weekday (0-6); daily and month_end ones do not.",
    )
    MONTH_INVALID = "month_invalid", 422, "Bad month", "A month is written YYYY-MM."
    PERIOD_INVALID = (
        "period_invalid",
        422,
        "Bad period",
        "A period runs from a date to the same or a later one, within the days the detail names.",
    )
    PERIOD_TOO_SHORT = (
        "period_too_short",
        422,
        "Period too short",
        "Open data covers a week or more: a shorter period could single out a person.",
    )
    BASE_DATE_INVALID = (
        "base_date_invalid",
        422,
        "Not a base date",
        "The Payment Services Act's base dates are March 31 and September 30.",
    )
    BASE_DATE_NOT_PAST = (
        "base_date_not_past",
        422,
        "Base date not over",
        "The base date has not ended yet in Asia/Tokyo; its figures could still move.",
    )
    BUSINESS_DATE_INVALID = (
        "business_date_invalid",
        422,
        "Bad business date",
        "A batch's business date is within the days of today the detail names.",
    )
    RETURNED_DUPLICATED = (
        "returned_duplicated",
        422,
        "Payout listed twice",
        "The bank's results list each returned payout once.",
    )
    REASON_INVALID = (
        "reason_invalid",
        422,
        "Bad return reason",
        "A returned payout's reason is 1 to the number of characters the detail names.",
    )
    REASON_WITHOUT_RETURN = (
        "reason_without_return",
        422,
        "Reason for a paid payout",
        "Reasons are given only for payouts listed as returned.",
    )
    PAYOUT_NOT_IN_BATCH = (
        "payout_not_in_batch",
        422,
        "Payout not in batch",
        "The results name a payout this batch does not pay.",
    )
    WEBHOOK_EVENT_TYPE_UNKNOWN = (
        "webhook_event_type_unknown",
        422,
        "Unknown event type",
        "The endpoint subscribes to an event type that does not exist.",
    )
    WEBHOOK_URL_INVALID = (
        "webhook_url_invalid",
        422,
        "Bad webhook URL",
        "Not an absolute http(s) URL with a host, with user info, or over 2,048 characters.",
    )
    WEBHOOK_URL_NOT_ALLOWED = (
        "webhook_url_not_allowed",
        422,
        "Webhook URL not allowed",
        "Webhooks go over https to public addresses only; the host is private or does not resolve.",
    )
    TRANSFER_TO_SELF = (
        "transfer_to_self",
        422,
        "Transfer to self",
        "A wallet or a merchant cannot send to itself.",
    )
    TRANSFER_BELOW_FEE = (
        "transfer_below_fee",
        422,
        "Transfer below fee",
        "The transfer would be all fee; send more.",
    )
    PAYOUT_BELOW_MINIMUM = (
        "payout_below_minimum",
        422,
        "Payout below minimum",
        "The coin's smallest cash-out is the amount the detail names.",
    )
    TRANSFER_BELOW_MINIMUM = (
        "transfer_below_minimum",
        422,
        "Transfer below minimum",
        "The coin's smallest merchant-to-merchant transfer is the amount the detail names.",
    )
    PAYOUTS_PENDING_LIMIT = (
        "payouts_pending_limit",
        409,
        "Too many pending cash-outs",
        "The merchant has as many cash-outs waiting for a batch as the coin allows.",
    )
    PAYOUT_BELOW_FEE = (
        "payout_below_fee",
        422,
        "Payout below fee",
        "The payout would be all fee; ask for more.",
    )

    # A merchant's application (merchant/accounts/onboarding.py): the first bad field; the
    # answer's `errors` lists every one. The bank account's codes are the Zengin ones below.
    NAME_INVALID = (
        "name_invalid",
        422,
        "Bad name",
        "The name is 1 to 100 printable characters, not blank.",
    )
    NAME_KANA_INVALID = (
        "name_kana_invalid",
        422,
        "Bad kana name",
        "The kana name is empty or has characters a bank transfer cannot carry.",
    )
    NAME_KANA_TOO_LONG = (
        "name_kana_too_long",
        422,
        "Kana name too long",
        "The kana name is over 40 half-width characters.",
    )
    POSTAL_CODE_INVALID = (
        "postal_code_invalid",
        422,
        "Bad postal code",
        "A postal code is seven digits (123-4567); every merchant has one.",
    )
    CITY_INVALID = (
        "city_invalid",
        422,
        "Bad city",
        "The city is 1 to 100 printable characters; every merchant has one.",
    )
    JPQR_STORE_ID_INVALID = (
        "jpqr_store_id_invalid",
        422,
        "Bad JPQR store id",
        "A JPQR unified store id is 29 digits (13, 4, 6 and 6), as Payments Japan assigned it.",
    )
    TAX_RATE_INVALID = (
        "tax_rate_invalid",
        422,
        "Bad tax rate",
        "A consumption tax rate is 0 to 10000 basis points, effective today or later.",
    )
    REGISTRATION_NUMBER_INVALID = (
        "registration_number_invalid",
        422,
        "Bad registration number",
        "An invoice registration number is T and 13 digits whose first digit checks the others"
        " (the corporate number's check digit).",
    )
    REGISTRATION_NUMBER_NOT_SET = (
        "registration_number_not_set",
        409,
        "No registration number",
        "A qualified invoice carries the issuer's registration number: set it first"
        " (POST /v1/settlement/settings).",
    )
    QR_SETTINGS_INVALID = (
        "qr_settings_invalid",
        422,
        "Bad QR settings",
        "A JPQR provider code is 1 to 20 letters and digits.",
    )
    QR_TEMPLATE_RETIRED = (
        "qr_template_retired",
        422,
        "Old sticker retired",
        "The sticker was printed before JPQR (our template under id 26) and the coin's"
        " transition period has ended: the shop prints its new sticker.",
    )
    CITY_ROMAJI_INVALID = (
        "city_romaji_invalid",
        422,
        "Bad romanised city",
        "The city in Latin letters (field 60 of the QR) is 1 to 15 printable ASCII characters;"
        " it is required when the city is written in Japanese.",
    )
    CATEGORY_INVALID = (
        "category_invalid",
        422,
        "Bad category",
        "A category is snake_case: a-z first, then a-z, 0-9 and _, up to 40.",
    )
    MEMBER_GROUP_NOT_FOUND = (
        "member_group_not_found",
        422,
        "Unknown member group",
        "The coin has no fee plan for the member group.",
    )
    BANK_NOT_FOUND = (
        "bank_not_found",
        422,
        "Unknown bank",
        "No bank has the bank account's bank code.",
    )
    BRANCH_NOT_FOUND = (
        "branch_not_found",
        422,
        "Unknown branch",
        "The bank has no branch with the bank account's branch code.",
    )
    HOLDER_KANA_INVALID = (
        "holder_kana_invalid",
        422,
        "Bad holder name",
        "The account holder's name is empty or has characters a bank transfer cannot carry.",
    )
    HOLDER_KANA_TOO_LONG = (
        "holder_kana_too_long",
        422,
        "Holder name too long",
        "The account holder's name is over 30 half-width characters.",
    )

    # The transfer file (jp_banking.zengin_errors.ZenginCode, passed through): the settings,
    # an institution or a payout that a Zengin file cannot carry.
    TRANSFER_DATE_NOT_BUSINESS_DAY = (
        "transfer_date_not_business_day",
        422,
        "Transfer date not a business day",
        "The batch's transfer date is a bank holiday.",
    )
    REQUESTER_CODE_INVALID = (
        "requester_code_invalid",
        422,
        "Bad requester code",
        "The originator's requester code is not 1 to 10 digits.",
    )
    TRANSFERS_EMPTY = (
        "transfers_empty",
        422,
        "No transfers",
        "The batch pays nothing, so it has no file.",
    )
    BANK_CODE_INVALID = (
        "bank_code_invalid",
        422,
        "Bad bank code",
        "A bank code is 4 digits.",
    )
    BRANCH_CODE_INVALID = (
        "branch_code_invalid",
        422,
        "Bad branch code",
        "A branch code is 3 digits.",
    )
    BANK_UNKNOWN = "bank_unknown", 422, "Unknown bank", "No bank has the bank code."
    BRANCH_UNKNOWN = (
        "branch_unknown",
        422,
        "Unknown branch",
        "The bank has no branch with the branch code.",
    )
    ACCOUNT_TYPE_INVALID = (
        "account_type_invalid",
        422,
        "Bad account type",
        "A bank account is ordinary or current.",
    )
    ACCOUNT_NUMBER_INVALID = (
        "account_number_invalid",
        422,
        "Bad account number",
        "A bank account number is 1 to 7 digits.",
    )
    NAME_EMPTY = "name_empty", 422, "Empty name", "The name is empty once written in Zengin kana."
    NAME_NOT_REPRESENTABLE = (
        "name_not_representable",
        422,
        "Name not representable",
        "The name has characters Zengin kana cannot carry.",
    )
    NAME_TOO_LONG = (
        "name_too_long",
        422,
        "Name too long",
        "The name is longer in Zengin kana than its field.",
    )
    AMOUNT_NOT_POSITIVE_INT = (
        "amount_not_positive_int",
        422,
        "Bad transfer amount",
        "A transfer's amount is a positive integer.",
    )
    AMOUNT_TOO_LARGE = (
        "amount_too_large",
        422,
        "Transfer amount too large",
        "A transfer's amount is over the 10 digits of its field.",
    )
    CUSTOMER_CODE_INVALID = (
        "customer_code_invalid",
        422,
        "Bad customer code",
        "A transfer's customer code is more than 10 digits, or not digits.",
    )
    COUNT_OVERFLOW = (
        "count_overflow",
        422,
        "Too many transfers",
        "The batch has more transfers than one file can count.",
    )
    TOTAL_OVERFLOW = (
        "total_overflow",
        422,
        "Total too large",
        "The batch's total is over the 12 digits of the file's trailer.",
    )

    # Payment tokens (wallet_api.payment_tokens.TokenCode), in the order they are checked.
    TOKEN_MALFORMED = (
        "token_malformed",
        422,
        "Malformed token",
        "The payment token is not one this platform issues.",
    )
    TOKEN_UNKNOWN_KEY = (
        "token_unknown_key",
        422,
        "Unknown token key",
        "The payment token was signed by a key this coin does not know.",
    )
    TOKEN_FORGED = (
        "token_forged",
        422,
        "Forged token",
        "The payment token's signature does not verify.",
    )
    TOKEN_NOT_YET_VALID = (
        "token_not_yet_valid",
        422,
        "Token not yet valid",
        "The payment token was issued in the future: a clock is wrong.",
    )
    TOKEN_EXPIRED = (
        "token_expired",
        422,
        "Token expired",
        "The payment token has expired; the resident shows a fresh one.",
    )
    TOKEN_WRONG_COIN = (
        "token_wrong_coin",
        422,
        "Token of another coin",
        "The payment token is a wallet's of another coin.",
    )

    # What the request names does not exist, or is not the caller's to see.
    KEY_NOT_FOUND = (
        "key_not_found",
        404,
        "No such key",
        "The coin has no named key with this id (merchants' keys are not named here).",
    )
    APPROVAL_NOT_FOUND = (
        "approval_not_found",
        404,
        "No such approval",
        "The coin has no approval with this id.",
    )
    COIN_NOT_FOUND = "coin_not_found", 404, "Unknown coin", "No coin has this code."
    RESIDENT_NOT_FOUND = (
        "resident_not_found",
        404,
        "Unknown resident",
        "No resident has this id.",
    )
    WALLET_NOT_FOUND = (
        "wallet_not_found",
        404,
        "Unknown wallet",
        "No such wallet in this coin, or the resident has no wallet in it.",
    )
    MERCHANT_NOT_FOUND = (
        "merchant_not_found",
        404,
        "Unknown merchant",
        "No such merchant in this coin.",
    )
    STORE_NOT_FOUND = "store_not_found", 404, "Unknown store", "No such store of this merchant."
    TERMINAL_NOT_FOUND = (
        "terminal_not_found",
        404,
        "Unknown terminal",
        "No such terminal of this merchant.",
    )
    API_KEY_NOT_FOUND = (
        "api_key_not_found",
        404,
        "Unknown key",
        "No such API key of this merchant.",
    )
    CARD_NOT_FOUND = "card_not_found", 404, "Unknown card", "No such card in this coin."
    CARD_UNKNOWN = (
        "card_unknown",
        404,
        "Card not recognised",
        "The card read at the till is not one of this coin's.",
    )
    PAYMENT_TOKEN_NOT_FOUND = (
        "payment_token_not_found",
        404,
        "Unknown payment token",
        "Not a live payment token of the caller's.",
    )
    CHARGE_NOT_FOUND = (
        "charge_not_found",
        404,
        "Unknown charge",
        "No such charge for this merchant.",
    )
    REFUND_NOT_FOUND = (
        "refund_not_found",
        404,
        "Unknown refund",
        "No such refund for this merchant.",
    )
    PAYMENT_INTENT_NOT_FOUND = (
        "payment_intent_not_found",
        404,
        "Unknown payment intent",
        "No such payment intent, or another merchant's.",
    )
    PAYOUT_NOT_FOUND = (
        "payout_not_found",
        404,
        "Unknown payout",
        "No such payout for this merchant.",
    )
    CAMPAIGN_NOT_FOUND = (
        "campaign_not_found",
        404,
        "Unknown campaign",
        "No such premium campaign in this coin.",
    )
    PURCHASE_NOT_FOUND = (
        "purchase_not_found",
        404,
        "Unknown purchase",
        "No such premium purchase in this coin.",
    )
    INSTITUTION_NOT_FOUND = (
        "institution_not_found",
        404,
        "Unknown institution",
        "The bank is not a participating institution of this coin.",
    )
    BATCH_NOT_FOUND = "batch_not_found", 404, "Unknown batch", "No such batch in this coin."
    EVENT_NOT_FOUND = "event_not_found", 404, "Unknown event", "No such event of this merchant."
    WEBHOOK_ENDPOINT_NOT_FOUND = (
        "webhook_endpoint_not_found",
        404,
        "Unknown webhook endpoint",
        "No such webhook endpoint of this merchant.",
    )

    # Idempotency and uniqueness: a key, a reference or a thing seen before.
    IDEMPOTENCY_KEY_REUSED = (
        "idempotency_key_reused",
        422,
        "Idempotency-Key reused",
        "The Idempotency-Key was used with a different request.",
    )
    IDEMPOTENCY_KEY_IN_FLIGHT = (
        "idempotency_key_in_flight",
        409,
        "Request in flight",
        "A request with this Idempotency-Key is still running; retry later with the same key.",
    )
    TOKEN_USED = (
        "token_used",
        409,
        "Token used",
        "The payment token paid once already; the resident shows a fresh one.",
    )
    TOPUP_REFERENCE_REUSED = (
        "topup_reference_reused",
        409,
        "Top-up reference reused",
        "The reference was recorded for another top-up.",
    )
    PAYMENT_REFERENCE_REUSED = (
        "payment_reference_reused",
        409,
        "Payment reference reused",
        "The payment reference paid another purchase.",
    )
    WALLET_EXISTS = (
        "wallet_exists",
        409,
        "Wallet exists",
        "The resident has a wallet in this coin already.",
    )
    INSTITUTION_EXISTS = (
        "institution_exists",
        409,
        "Institution exists",
        "The bank is an institution of this coin already.",
    )
    ISSUER_EXISTS = (
        "issuer_exists",
        409,
        "Issuer exists",
        "The coin has an issuing institution already.",
    )

    # The state of what the request names.
    ERASURE_BALANCE_REMAINING = (
        "erasure_balance_remaining",
        409,
        "Wallet not empty",
        "A resident whose wallet holds or reserves coin is not erased; the detail names the coin.",
    )
    RETENTION_PERIOD_RUNNING = (
        "retention_period_running",
        409,
        "Records still kept",
        "The records must be kept until the date the detail gives (the coin's retention_years"
        " after the wallet's last movement); ask again from then.",
    )
    KEY_NOT_LIVE = (
        "key_not_live",
        409,
        "Key revoked or expired",
        "A revoked or expired key is not rotated; make a new one.",
    )
    APPROVAL_DECIDED = (
        "approval_decided",
        409,
        "Already decided",
        "The approval was approved or rejected already; the detail says which.",
    )
    API_KEY_IN_USE = (
        "api_key_in_use",
        409,
        "Key in use",
        "A key cannot revoke itself; make a new key and revoke this one with it.",
    )
    TERMINAL_DISABLED = (
        "terminal_disabled",
        409,
        "Terminal disabled",
        "A disabled terminal gets no new key.",
    )
    PAYMENT_INTENT_ALREADY_PAID = (
        "payment_intent_already_paid",
        409,
        "Intent paid",
        "The payment intent is paid; refund it instead.",
    )
    PAYMENT_INTENT_CANCELED = (
        "payment_intent_canceled",
        409,
        "Intent canceled",
        "The payment intent was canceled.",
    )
    PAYMENT_INTENT_EXPIRED = (
        "payment_intent_expired",
        409,
        "Intent expired",
        "The payment intent expired unpaid.",
    )
    PAYMENT_INTENT_NOT_CAPTURABLE = (
        "payment_intent_not_capturable",
        409,
        "Intent not held",
        "Only a payment intent whose amount is held can be captured.",
    )
    CAPTURE_EXPIRED = (
        "capture_expired",
        409,
        "Capture too late",
        "The hold had to be captured before the time the detail names.",
    )
    PAYMENT_INTENT_NOT_PAID = (
        "payment_intent_not_paid",
        409,
        "Intent not paid",
        "The payment intent was not paid, so there is nothing to refund.",
    )
    REFUND_EXCEEDS_CHARGE = (
        "refund_exceeds_charge",
        409,
        "Refund too large",
        "Less than the amount asked is left to refund on the charge.",
    )
    PAYOUT_NOT_PENDING = (
        "payout_not_pending",
        409,
        "Payout not pending",
        "Only a pending payout can be canceled.",
    )
    CAMPAIGN_CLOSED = (
        "campaign_closed",
        422,
        "Campaign closed",
        "The premium campaign does not sell now; the detail gives its sales period.",
    )
    SOLD_OUT = "sold_out", 409, "Sold out", "Fewer units of the campaign are left than asked."
    PURCHASE_NOT_RESERVED = (
        "purchase_not_reserved",
        409,
        "Purchase not reserved",
        "Only a reserved premium purchase can be confirmed.",
    )
    RESERVATION_EXPIRED = (
        "reservation_expired",
        409,
        "Reservation expired",
        "The reservation was not paid in time; its units went back on sale.",
    )
    WEBHOOK_ENDPOINT_DISABLED = (
        "webhook_endpoint_disabled",
        409,
        "Endpoint disabled",
        "The webhook endpoint is disabled.",
    )
    WEBHOOK_ENDPOINT_NONE = (
        "webhook_endpoint_none",
        409,
        "No endpoint",
        "No enabled webhook endpoint subscribes to the event's type.",
    )
    BATCH_NOT_CLOSED = (
        "batch_not_closed",
        409,
        "Batch open",
        "The batch has no file until it is closed.",
    )
    BATCH_NOT_EXPORTED = (
        "batch_not_exported",
        409,
        "Batch not exported",
        "The bank's results come after the batch's file was downloaded.",
    )
    RESULTS_CONFLICT = (
        "results_conflict",
        409,
        "Results differ",
        "The batch was confirmed with other results; the money has moved.",
    )
    CUT_OFF_NOT_REACHED = (
        "cut_off_not_reached",
        409,
        "Before cut-off",
        "The business day's batch closes after its cut-off time.",
    )
    ORIGINATOR_NOT_SET = (
        "originator_not_set",
        409,
        "No originating account",
        "Set the issuer's originating account (POST /v1/settlement/settings) first.",
    )

    # Limits: a cap of the coin's rules or of the platform.
    POINTS_BUDGET_EXCEEDED = (
        "points_budget_exceeded",
        422,
        "Points budget exceeded",
        "The grant would take the coin's points past the budget the issuer set.",
    )
    ISSUANCE_CEILING_EXCEEDED = (
        "issuance_ceiling_exceeded",
        422,
        "Daily ceiling reached",
        "The key would issue more than the coin's daily ceiling per key (Tokyo day).",
    )
    LIMIT_EXCEEDED = (
        "limit_exceeded",
        422,
        "Limit exceeded",
        "A cap would be passed (a wallet's balance, a payment, a day's top-ups, a purchase,"
        " a merchant's webhook endpoints); the detail names it.",
    )

    # Residents' contacts and notices.
    CONTACT_INVALID = (
        "contact_invalid",
        422,
        "Contact invalid",
        "Not an e-mail address, or not a Japanese phone number (090…, +81…).",
    )
    CONTACT_TAKEN = (
        "contact_taken",
        409,
        "Contact taken",
        "Another resident logs in with this e-mail or phone already.",
    )
    CONTACT_NOT_FOUND = (
        "contact_not_found",
        404,
        "No such contact",
        "The resident has no contact of this kind waiting for its code.",
    )
    CODE_INCORRECT = (
        "code_incorrect",
        422,
        "Wrong code",
        "The one-time code does not match; a few wrong codes end it and a new one is needed.",
    )
    CODE_EXPIRED = (
        "code_expired",
        410,
        "Code expired",
        "The one-time code is past its time or was typed wrong too often: ask for a new one.",
    )
    LINE_NOT_LINKED = (
        "line_not_linked",
        409,
        "LINE not linked",
        "A phone number is verified by a code sent to the resident's LINE: link LINE first.",
    )
    LINK_TOKEN_INVALID = (
        "link_token_invalid",
        422,
        "Link token invalid",
        "Not a link token LINE could have issued (the link in the LINE message carries one).",
    )
    NOTICE_CHANNEL_UNAVAILABLE = (
        "notice_channel_unavailable",
        503,
        "Channel unavailable",
        "The e-mail relay or LINE did not take the code; nothing was kept, try again later.",
    )

    # The services behind the API.
    CARD_PROCESSOR_UNAVAILABLE = (
        "card_processor_unavailable",
        502,
        "Card processor unavailable",
        "The card processor did not answer; nothing was charged, try again.",
    )
    PIN_REQUIRED = (
        "pin_required",
        401,
        "PIN required",
        "A payment or transfer at or above the coin's step-up amount carries the resident's PIN.",
    )
    PIN_INCORRECT = (
        "pin_incorrect",
        403,
        "Wrong PIN",
        "The PIN does not match; repeated wrong PINs lock the resident for a while.",
    )
    INTERNAL_ERROR = (
        "internal_error",
        500,
        "Internal server error",
        "A failure on our side; the request's transaction rolled back and nothing changed."
        " Retry with the same Idempotency-Key; if it persists, quote the X-Request-Id.",
    )
    SERVICE_UNAVAILABLE = (
        "service_unavailable",
        503,
        "Service unavailable",
        "The database is briefly away; retry after Retry-After with the same Idempotency-Key.",
    )
    COIN_WINDING_DOWN = (
        "coin_winding_down",
        409,
        "Coin winding down",
        "The coin stopped issuing on its wind-down date: no top-ups, points or premium sales.",
    )
    COIN_ACCEPTANCE_ENDED = (
        "coin_acceptance_ended",
        409,
        "Coin no longer accepted",
        "The coin's acceptance ended on its wind-down date; residents claim their refund.",
    )
    WINDDOWN_EXISTS = (
        "winddown_exists",
        409,
        "Wind-down announced",
        "The coin's wind-down is announced already; its dates are in GET /v1/coin/winddown.",
    )
    WINDDOWN_INVALID = (
        "winddown_invalid",
        422,
        "Wind-down dates invalid",
        "Issuance stops before acceptance ends, which is no later than the claims' close,"
        " at least 60 days after the notice (Payment Services Act, art. 20).",
    )
    WINDDOWN_NOT_ANNOUNCED = (
        "winddown_not_announced",
        404,
        "No wind-down",
        "The coin has no wind-down announced.",
    )
    WINDDOWN_CLAIMS_CLOSED = (
        "winddown_claims_closed",
        409,
        "Claims closed",
        "Refund claims are taken from the notice until the claims' close only.",
    )
    WINDDOWN_CLAIMED = (
        "winddown_claimed",
        409,
        "Refund claimed",
        "This wallet's refund is claimed already.",
    )
    NOTHING_TO_REFUND = (
        "nothing_to_refund",
        409,
        "Nothing to refund",
        "The wallet holds no money or premium: free points are not refunded.",
    )
    WINDDOWN_NOT_OVER = (
        "winddown_not_over",
        409,
        "Claims still open",
        "Unclaimed balances are closed only after the claims' close.",
    )
