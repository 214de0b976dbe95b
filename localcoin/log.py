"""Structured logging: one configuration for the CLI and the server, always on stderr."""

import logging
import sys

import structlog


def configure_logging(*, level: str = "INFO", json_lines: bool = False) -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json_lines
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def _stderr_logger(*_: object) -> structlog.PrintLogger:
    # sys.stderr looked up per logger, not once: a stream swapped in by a test
    # runner (or a daemon's redirect) and closed later must not swallow logs.
    return structlog.PrintLogger(file=sys.stderr)
