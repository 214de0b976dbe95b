"""The base of every request body: integers are integers.

pydantic's default (lax) mode turns ``"100"`` and ``100.0`` into ``100``. For
money that hides a client's bug (a string built from a float, a total summed
in floating point) until the day it is ``100.5``. So a request's integer
fields accept JSON integers only, and the 422 names the field; everything
else keeps pydantic's JSON rules (ISO dates as strings, enums by value).
"""

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError


def _takes_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_takes_int(arm) for arm in get_args(annotation))
    if get_origin(annotation) is not None and hasattr(annotation, "__metadata__"):
        return _takes_int(get_args(annotation)[0])
    return False


class RequestBody(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _integers_are_integers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None or not _takes_int(field.annotation):
            return value
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise PydanticCustomError(
            "int_type",
            "Input should be a JSON integer, not {given}",
            {"given": type(value).__name__},
        )
