"""Runs the booking site: ``python -m examples.facility_booking`` (see README.md here)."""

import argparse
import os
from pathlib import Path

import uvicorn

from examples.facility_booking.app import SiteConfig, create_site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument(
        "--localcoin", default=os.environ.get("LOCALCOIN_URL", "http://127.0.0.1:8000")
    )
    parser.add_argument("--public-url", default=None, help="where localcoin reaches this site")
    parser.add_argument("--wallet-url", default=None, help="the wallet (default: --localcoin)")
    parser.add_argument("--data", type=Path, default=Path(".booking-site"))
    args = parser.parse_args()
    key = os.environ.get("BOOKING_LOCALCOIN_KEY")
    if not key:
        parser.error("set BOOKING_LOCALCOIN_KEY to the facility merchant's API key")
    config = SiteConfig(
        localcoin_url=args.localcoin,
        api_key=key,
        public_url=args.public_url or f"http://127.0.0.1:{args.port}",
        wallet_url=args.wallet_url or args.localcoin,
        data_dir=args.data,
    )
    uvicorn.run(create_site(config), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
