"""The installed package carries its migrations: a wheel built from the tree can migrate."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_every_migration(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("localcoin-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    migrations = {
        f"localcoin/migrations/versions/{p.name}"
        for p in (ROOT / "localcoin/migrations/versions").glob("*.py")
    }
    assert migrations
    assert migrations <= names
    assert {"localcoin/migrations/env.py", "localcoin/migrations/script.py.mako"} <= names
    for package in ("ledger", "wallet_api", "merchant", "settlement", "localcoin"):
        assert f"{package}/__init__.py" in names
