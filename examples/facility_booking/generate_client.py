"""Generates ``localcoin_client`` from localcoin's OpenAPI document with openapi-python-client.

``python -m examples.facility_booking.generate_client OPENAPI OUT_DIR``: OPENAPI
is a file (``localcoin openapi > openapi.json``) or the server's
``/openapi.json`` URL. Fails if the generator cannot read the document or warns
about anything but the QR images (answers it does not model).
"""

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

PACKAGE = "localcoin_client"
# What openapi-python-client leaves out by design: the QR codes as images
# (PNG, SVG), which are bytes to show, not JSON to model; the site fetches those
# itself. Any other warning means the document no longer makes a whole client.
EXPECTED = "Unsupported content_type image/"


class GenerationError(Exception):
    pass


def generate(openapi: str, out_dir: Path) -> Path:
    """Writes the client package under ``out_dir``; returns its folder."""
    with tempfile.TemporaryDirectory() as work:
        document = Path(work) / "openapi.json"
        if openapi.startswith(("http://", "https://")):
            document.write_bytes(httpx.get(openapi, timeout=30).raise_for_status().content)
        else:
            document.write_bytes(Path(openapi).read_bytes())
        config = Path(work) / "config.yaml"
        config.write_text(
            f"project_name_override: localcoin-client\npackage_name_override: {PACKAGE}\n"
        )
        target = out_dir / PACKAGE
        run = subprocess.run(  # noqa: S603 - our own generator, our own arguments
            [
                str(Path(sys.executable).with_name("openapi-python-client")),
                "generate",
                "--path",
                str(document),
                "--config",
                str(config),
                "--output-path",
                str(target),
                "--meta",
                "none",
                "--overwrite",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    output = run.stdout + run.stderr
    blocks = re.split(r"\n(?=WARNING|ERROR)", output)
    unexpected = [b for b in blocks if b.startswith(("WARNING", "ERROR")) and EXPECTED not in b]
    if run.returncode != 0 or unexpected or not (target / "client.py").exists():
        raise GenerationError(output[-4000:])
    return target


if __name__ == "__main__":
    print(generate(sys.argv[1], Path(sys.argv[2])))
