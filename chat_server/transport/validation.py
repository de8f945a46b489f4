"""Payload validation: every client event is checked against a small schema before any
service sees it. Unknown fields, wrong types and oversized values are refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..i18n import is_supported
from ..services.errors import MSG_INVALID, MSG_TOO_LARGE, ServiceError

MAX_TEXT = 4000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class F:
    """One field: ``kind`` is str | text | bool | enum | locale | client_id | id |
    locales | dict | int."""

    kind: str
    required: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    max_len: int = 200


def invalid(detail: str = "") -> ServiceError:
    err = ServiceError("invalid", MSG_INVALID)
    err.detail = detail  # type: ignore[attr-defined]  # for debug logs, never content
    return err


def validate(payload: Any, schema: dict[str, F]) -> dict[str, Any]:
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise invalid("payload must be an object")
    unknown = set(payload) - set(schema)
    if unknown:
        raise invalid("unknown field")
    out: dict[str, Any] = {}
    for name, field in schema.items():
        if name not in payload:
            if field.required:
                raise invalid(f"missing {name}")
            continue
        value = payload[name]
        if value is None:
            if field.nullable:
                out[name] = None
                continue
            raise invalid(f"{name} may not be null")
        out[name] = _check(name, value, field)
    return out


def _check(name: str, value: Any, field: F) -> Any:
    kind = field.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise invalid(f"{name} must be a boolean")
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise invalid(f"{name} must be an integer")
        return value
    if kind == "dict":
        if not isinstance(value, dict) or len(value) > 50:
            raise invalid(f"{name} must be an object")
        return value
    if kind == "locales":
        if not isinstance(value, list) or len(value) > 20 or not all(is_supported(v) for v in value):
            raise invalid(f"{name} must be a list of supported locales")
        return list(dict.fromkeys(value))
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string")
    if kind == "text":
        if len(value) > MAX_TEXT:
            raise ServiceError("too_large", MSG_TOO_LARGE)
        if _has_lone_surrogate(value):
            raise invalid(f"{name} is not valid text")
        text = value.strip()
        if not text:
            raise invalid(f"{name} is empty")
        return text
    if kind == "enum":
        if value not in field.choices:
            raise invalid(f"{name} has an unknown value")
        return value
    if kind == "locale":
        if not is_supported(value):
            raise invalid(f"{name} is not a supported locale")
        return value
    if kind == "client_id":
        if not CLIENT_ID.match(value):
            raise invalid(f"{name} must be 1-64 characters of A-Z a-z 0-9 _ -")
        return value
    if kind == "id":
        if not OPAQUE_ID.match(value):
            raise invalid(f"{name} is not a valid id")
        return value
    if len(value) > field.max_len or _has_lone_surrogate(value):
        raise ServiceError("too_large", MSG_TOO_LARGE) if len(value) > field.max_len else invalid(name)
    return value


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


AUDIENCES = ("self", "other", "professional")
TOPICS = ("control", "marriage", "fgm", "violence", "other")
AGE_BANDS = ("13-15", "16-17", "18-21", "22-26", "over-26")

VISITOR_AUTH = {"resume": F("str", nullable=True, max_len=128), "locale": F("str", nullable=True, max_len=16)}
START = {
    "locale": F("locale", nullable=True),
    "audience": F("enum", required=True, choices=AUDIENCES),
    "topic": F("enum", nullable=True, choices=TOPICS),
    "urgent": F("bool", nullable=True),
    "age_band": F("enum", nullable=True, choices=AGE_BANDS),
}
VISITOR_MESSAGE = {"client_id": F("client_id", required=True), "text": F("text", required=True)}
TYPING = {"active": F("bool", required=True)}
EMPTY: dict[str, F] = {}

DUTY = {"on": F("bool", required=True), "languages": F("locales")}
CONVERSATION_REF = {"conversation_id": F("id", required=True)}
OPERATOR_MESSAGE = {
    "conversation_id": F("id", required=True),
    "client_id": F("client_id", required=True),
    "text": F("text", required=True),
}
OPERATOR_TYPING = {"conversation_id": F("id", required=True), "active": F("bool", required=True)}
OPERATOR_END = {"conversation_id": F("id", required=True), "triage": F("dict", nullable=True)}
