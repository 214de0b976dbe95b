"""The OpenAPI document, made truthful about errors.

FastAPI documents its own validation-error shape for 422; every error this API
returns is an RFC 9457 problem instead. Each operation gets a ``4XX`` and a
``5XX`` answer in ``application/problem+json`` with the Problem schema, and
FastAPI's 422 shape is removed.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details, with a stable machine-readable code.",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "description": "e.g. insufficient_funds, limit_exceeded"},
        "errors": {
            "type": "array",
            "description": "For validation_error: each invalid field.",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_PROBLEM_ANSWER = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}


def problem_aware_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    document = get_openapi(
        title=app.title, version=app.version, summary=app.summary, routes=app.routes
    )
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answers = operation.setdefault("responses", {})
            answers.pop("422", None)
            answers["4XX"] = {"description": "Refused; nothing changed."} | _PROBLEM_ANSWER
            answers["5XX"] = {"description": "The server failed."} | _PROBLEM_ANSWER
    app.openapi_schema = document
    return document


def install(app: FastAPI) -> None:
    app.openapi = lambda: problem_aware_openapi(app)  # type: ignore[method-assign]
