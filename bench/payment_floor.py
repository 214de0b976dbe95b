"""The database floor of a payment: its SQL run by pgbench, with no API in front.

A static-QR payment through the API is one transaction of eleven statements
(BEGIN, the Idempotency-Key's claim, SAVEPOINT, the access token, the
payment's one read, ``ledger_post_entry``, the charge, its webhook event,
RELEASE, the key's answer, COMMIT). This module writes those statements,
against the same tables, functions and triggers, as a pgbench script and runs
it with ``-M prepared`` like the tpcb-like reference: the payments a second
PostgreSQL itself sustains on this machine when no Python runs at all. It
bounds what any API in front of this database could reach, and with
``per_commit`` > 1 (several payments, each under its own savepoint, in one
transaction) it shows what sharing commits between requests would give.

Each payment first reads its resident and shop from two bench tables by a
random number (pgbench picks numbers, not strings): one primary-key read the
API does not make, so the floor is slightly lower than the true one.
"""

import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, text

from bench.ledger_vs_pgbench import ServerCpu, timed_pgbench
from merchant.payments.payment_context import PAYMENT_READ

ANSWER_PATH = "/v1/wallet/payments"
KEY_SPACE = 10**15
AMOUNT_MAX = 100


@dataclass(frozen=True, slots=True)
class FloorRun:
    per_commit: int
    clients: int
    transactions: int
    tps: float
    postgres_cpu_us_per_payment: float | None

    @property
    def payments(self) -> int:
        return self.transactions * self.per_commit

    @property
    def payments_per_s(self) -> float:
        return self.tps * self.per_commit


def prepare_floor_tables(conn: Connection, *, coin_id: int) -> tuple[int, int]:
    """The coin's residents (with their live token) and shops, numbered from 1 for
    pgbench to pick; returns how many of each."""
    with_fee = conn.execute(
        text(
            "SELECT count(*) FROM merchants m"
            " LEFT JOIN fee_plans f ON f.coin_id = m.coin_id AND f.member_group = m.member_group"
            " WHERE m.coin_id = :coin AND coalesce(m.payment_bp, f.payment_bp) <> 0"
        ),
        {"coin": coin_id},
    ).scalar_one()
    # The script posts the two legs of a fee-free payment; a fee adds a third.
    assert with_fee == 0, "the floor's script assumes shops without a payment fee"
    conn.execute(text("DROP TABLE IF EXISTS bench_floor_buyers, bench_floor_shops"))
    conn.execute(
        text(
            "CREATE TABLE bench_floor_buyers AS"
            " SELECT row_number() OVER (ORDER BY r.id)::int AS n, r.id AS resident_id,"
            " r.public_id AS resident_public, t.token_hash, w.id AS wallet_id,"
            " w.public_id AS wallet_public, w.account_id AS wallet_account"
            " FROM residents r JOIN wallets w ON w.resident_id = r.id AND w.coin_id = :coin"
            " JOIN LATERAL (SELECT token_hash FROM access_tokens a WHERE a.resident_id = r.id"
            "   AND a.revoked_at IS NULL ORDER BY a.expires_at DESC LIMIT 1) t ON true"
        ),
        {"coin": coin_id},
    )
    conn.execute(
        text(
            "CREATE TABLE bench_floor_shops AS"
            " SELECT row_number() OVER (ORDER BY id)::int AS n, id AS merchant_id, public_id,"
            " name, account_id FROM merchants WHERE coin_id = :coin"
        ),
        {"coin": coin_id},
    )
    conn.execute(text("ALTER TABLE bench_floor_buyers ADD PRIMARY KEY (n)"))
    conn.execute(text("ALTER TABLE bench_floor_shops ADD PRIMARY KEY (n)"))
    buyers = conn.execute(text("SELECT count(*) FROM bench_floor_buyers")).scalar_one()
    shops = conn.execute(text("SELECT count(*) FROM bench_floor_shops")).scalar_one()
    return int(buyers), int(shops)


def _pick(i: int, *, buyers: int, shops: int) -> str:
    """Chooses payment ``i``'s resident, shop, amount and key, and shapes the texts
    the API would send (the entry's metadata, the event, the stored answer)."""
    return "\n".join(
        [
            f"\\set b{i} random(1, {buyers})",
            f"\\set s{i} random(1, {shops})",
            f"\\set amount{i} random(1, {AMOUNT_MAX})",
            f"\\set k{i} random(1, {KEY_SPACE})",
            "SELECT"
            f" 'resident:' || b.resident_public AS scope{i},"
            f" 'floor-' || :client_id || '-' || :k{i} AS key{i},"
            f" sha256(('POST {ANSWER_PATH} ' || :k{i})::bytea) AS fingerprint{i},"
            f" b.token_hash AS hash{i}, b.resident_id AS resident{i}, b.wallet_id AS wallet{i},"
            f" b.wallet_account AS wallet_account{i},"
            f" s.public_id AS merchant_public{i}, s.merchant_id AS merchant{i},"
            f" s.account_id AS shop_account{i},"
            f" x.charge AS charge{i}, x.event AS event{i},"
            " jsonb_build_object('charge', x.charge, 'source', 'static_qr', 'wallet',"
            "   b.wallet_public, 'merchant', s.public_id, 'merchant_name', s.name)::text"
            f"   AS metadata{i},"
            " jsonb_build_object('id', x.charge, 'object', 'charge', 'amount',"
            f"   :amount{i}::int, 'fee', 0, 'net', :amount{i}::int, 'refunded', 0,"
            "   'source', 'static_qr', 'status', 'succeeded', 'reference', null,"
            "   'wallet_id', b.wallet_public, 'merchant_id', s.public_id,"
            f"   'created_at', now())::text AS event_data{i},"
            " convert_to(jsonb_build_object('id', x.charge, 'object', 'payment', 'status',"
            f"   'succeeded', 'amount', :amount{i}::int, 'merchant_id', s.public_id,"
            "   'merchant_name', s.name, 'wallet_id', b.wallet_public, 'charge_id', x.charge,"
            "   'payment_intent_id', null, 'created_at', now())::text, 'UTF8')"
            f"   AS answer{i}"
            " FROM bench_floor_buyers b, bench_floor_shops s,"
            "  LATERAL (SELECT 'ch_' || substr(md5(random()::text), 1, 20) AS charge,"
            "   'evt_' || substr(md5(random()::text), 1, 20) AS event) x"
            f" WHERE b.n = :b{i} AND s.n = :s{i} \\gset",
        ]
    )


def _payment(i: int, *, coin_id: int, coin_code: str) -> str:
    """Payment ``i``'s statements between BEGIN and COMMIT, as the API issues them."""
    read = (
        str(PAYMENT_READ)
        .replace(":at", "now()")
        .replace(":merchant", f":merchant_public{i}")
        .replace(":resident", f":resident{i}")
        .replace(":coin", f"'{coin_code}'")
    )
    return "\n".join(
        [
            "SELECT claimed, request_hash, status_code, media_type, body FROM idempotency_claim("
            f":scope{i}, :key{i}, 'POST', '{ANSWER_PATH}', :fingerprint{i}, now(), 10000);",
            "SAVEPOINT payment;",
            f"SELECT resident_id FROM access_tokens WHERE token_hash = :hash{i}"
            " AND revoked_at IS NULL AND expires_at > now();",
            f"{read};",
            f"SELECT result, entry_id AS entry{i} FROM ledger_post_entry({coin_id}::bigint,"
            f" 'payment', now(), NULL, NULL, NULL::bigint, :metadata{i}::jsonb,"
            f" ARRAY[:wallet_account{i}::bigint, :shop_account{i}::bigint],"
            f" ARRAY[:amount{i}::bigint, -:amount{i}::bigint],"
            " NULL::text[], NULL::timestamptz[], NULL::text[], NULL::bigint[], NULL::bigint[])"
            " \\gset",
            "INSERT INTO charges (coin_id, public_id, merchant_id, wallet_id, source, terminal_id,"
            " reference, amount, fee, entry_id, business_date, created_at) VALUES"
            f" ({coin_id}, :charge{i}, :merchant{i}, :wallet{i}, 'static_qr', NULL, NULL,"
            f" :amount{i}, 0, :entry{i}, (now() AT TIME ZONE 'Asia/Tokyo')::date, now())"
            " RETURNING coin_id, id, public_id, merchant_id, wallet_id, source, terminal_id,"
            " reference, amount, fee, refunded, entry_id, created_at;",
            "INSERT INTO webhook_events (coin_id, public_id, merchant_id, type, data, created_at)"
            f" VALUES ({coin_id}, :event{i}, :merchant{i}, 'charge.succeeded',"
            f" CAST(:event_data{i} AS jsonb), now());",
            "RELEASE SAVEPOINT payment;",
            "UPDATE idempotency_requests SET status_code = 201, media_type = 'application/json',"
            f" body = :answer{i}, completed_at = now() WHERE scope = :scope{i} AND key = :key{i};",
        ]
    )


def floor_script(*, per_commit: int, buyers: int, shops: int, coin_id: int, coin_code: str) -> str:
    """The pgbench script: ``per_commit`` payments in one transaction."""
    picks = [_pick(i, buyers=buyers, shops=shops) for i in range(per_commit)]
    payments = [_payment(i, coin_id=coin_id, coin_code=coin_code) for i in range(per_commit)]
    return "\n".join([*picks, "BEGIN;", *payments, "COMMIT;", ""])


def run_floor(
    url: str,
    *,
    tables: tuple[int, int],
    coin_id: int,
    coin_code: str,
    per_commit: int,
    clients: int,
    seconds: int,
    cpu: ServerCpu,
) -> FloorRun:
    """Runs the script over ``tables`` (the buyers and shops prepare_floor_tables
    numbered); raises if pgbench reports an error or a failed transaction."""
    buyers, shops = tables
    script = floor_script(
        per_commit=per_commit, buyers=buyers, shops=shops, coin_id=coin_id, coin_code=coin_code
    )
    with tempfile.TemporaryDirectory(prefix="localcoin-floor-") as home:
        path = Path(home) / "payment.sql"
        path.write_text(script)
        run = timed_pgbench(
            url,
            # No vacuum of pgbench's own tables (there are none here); deadlocks and
            # serialization failures are retried, as the API retries them.
            ["-n", "--max-tries=20", "-f", str(path)],
            clients=clients,
            seconds=seconds,
            cpu=cpu,
        )
    if run.failed:
        raise RuntimeError(f"pgbench: {run.failed} of its transactions failed")
    return FloorRun(
        per_commit=per_commit,
        clients=clients,
        transactions=run.transactions,
        tps=run.tps,
        postgres_cpu_us_per_payment=run.server_us_per(run.transactions * per_commit),
    )
