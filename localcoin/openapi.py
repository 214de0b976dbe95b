"""The OpenAPI document, made truthful about errors.

FastAPI documents its own validation-error shape for 422; every error this API
returns is an RFC 9457 problem instead. Each operation gets a ``4XX`` and a
``5XX`` answer in ``application/problem+json`` with the Problem schema, listing
the codes any call may meet, and FastAPI's 422 shape is removed: the codes a
route answers 422 with are listed on its ``4XX`` answer, those of its other
statuses under each status (``kit.refusal_docs``), each a problem too.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kit.refusal_docs import ANY_CALL_4XX, ANY_CALL_5XX, described

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
_ANY_CALL = "\n".join(
    ["Besides the codes listed by status, any call may answer:"]
    + [described(code) for code in ANY_CALL_4XX]
)
_FAILED = "\n".join(["The server failed."] + [described(code) for code in ANY_CALL_5XX])


def _refused(own_422: dict[str, Any] | None) -> str:
    """The 4XX answer's description: the route's own 422 codes, then those of any call."""
    schema = (own_422 or {}).get("content", {}).get("application/json", {}).get("schema", {})
    fastapis = schema.get("$ref") == "#/components/schemas/HTTPValidationError"
    own = [] if own_422 is None or fastapis else [own_422["description"]]
    return "\n".join(["Refused; nothing changed.", *own, _ANY_CALL])


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
            answers["4XX"] = {"description": _refused(answers.pop("422", None))} | _PROBLEM_ANSWER
            answers["5XX"] = {"description": _FAILED} | _PROBLEM_ANSWER
            for status, answer in answers.items():
                if status[0] in "45" and "content" not in answer:
                    answer.update(_PROBLEM_ANSWER)
    app.openapi_schema = document
    return document


def install(app: FastAPI) -> None:
    app.openapi = lambda: problem_aware_openapi(app)  # type: ignore[method-assign]
