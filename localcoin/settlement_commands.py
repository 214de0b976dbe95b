"""``localcoin settlement …``: the bank's batches from the command line."""

import typer

settlement_app = typer.Typer(no_args_is_help=True, help="Settlement batches and Zengin files.")
