"""``localcoin report …``: statutory and municipal reports from the command line."""

import typer

report_app = typer.Typer(no_args_is_help=True, help="Statutory and municipal reports.")
