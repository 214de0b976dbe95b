"""The framework's ceiling: the payment route's shape with no work behind it.

The same server stack as ``localcoin serve --workers N`` (FastAPI, pydantic,
uvicorn with httptools and uvloop, the shared socket with TCP_NODELAY), one
route with the payment's path, body and answer, and nothing else: no
database, no authentication, no middleware, no log. What the load generator
reaches against it on the same machine is the most any Python route could
answer there, so the payments' rate is also reported as a ratio to it
(bench/http_payments.py).

    .venv/bin/python -m bench.bare_app --port 8765 --workers 2
"""

import argparse
import secrets
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field
from uvicorn import Config
from uvicorn.supervisors import Multiprocess

from localcoin.cli import listening_socket


class PaymentBody(BaseModel):
    qr_payload: str = Field(max_length=512)
    amount: int | None = Field(default=None, gt=0)


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ready")
    def ready() -> dict[str, str]:
        return {"status": "ready"}

    @app.post("/v1/wallet/payments", status_code=201)
    async def pay(body: PaymentBody) -> dict[str, Any]:
        return {
            "id": f"ch_{secrets.token_hex(12)}",
            "object": "payment",
            "status": "succeeded",
            "amount": body.amount,
            "qr_length": len(body.qr_payload),
            "created_at": datetime.now(UTC).isoformat(),
        }

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    config = Config(
        "bench.bare_app:make_app",
        factory=True,
        workers=args.workers,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
    )
    Multiprocess(config, sockets=[listening_socket("127.0.0.1", args.port)]).run()


if __name__ == "__main__":
    main()
