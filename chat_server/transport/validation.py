"""Payload validation: every client event (Socket.IO) and every JSON body (HTTP) is
checked against a small schema before any service sees it. Unknown fields, wrong types
and oversized values are refused with ``invalid`` (or ``too_large`` for a long text)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..i18n import is_supported
from ..services.errors import MSG_INVALID, MSG_TOO_LARGE, ServiceError
from ..services.roles import ROLES
from ..services.stats_protection import FEEDBACK_ANSWERS

MAX_TEXT = 4000
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
OPAQUE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class F:
    """One field. ``kind``:

    * ``str``: a string of at most ``max_len`` characters (longer: ``too_large``);
    * ``line``: a non-empty string of at most ``max_len`` characters (else ``invalid``;
      names, usernames, passwords in HTTP bodies);
    * ``text``: a message text, 1-4,000 characters after trimming (trimmed);
    * ``bool``, ``int``, ``dict`` (an object of at most 50 keys), ``any`` (checked by
      the service that gets it);
    * ``enum`` (one of ``choices``), ``locale`` (a supported one), ``locales`` (a list
      of ``min_items``-20 supported ones, deduplicated);
    * ``client_id``, ``id`` (opaque ids), ``ids`` (a list of ``min_items``-``max_items``
      ids, deduplicated).
    """

    kind: str
    required: bool = False
    nullable: bool = False
    choices: tuple[str, ...] = ()
    max_len: int = 200
    min_items: int = 0
    max_items: int = 20


def invalid(detail: str = "") -> ServiceError:
    """An ``invalid`` refusal; ``detail`` names the rule broken (for debug logs, never content)."""
    err = ServiceError("invalid", MSG_INVALID)
    err.detail = detail  # type: ignore[attr-defined]  # for debug logs, never content
    return err


def validate(payload: Any, schema: dict[str, F]) -> dict[str, Any]:
    """The checked payload (absent optional fields left out); ``invalid`` or
    ``too_large`` otherwise. ``None`` counts as ``{}``."""
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
    if kind == "any":
        return value
    if kind in ("locales", "ids"):
        if not isinstance(value, list) or not field.min_items <= len(value) <= field.max_items:
            raise invalid(f"{name} must be a list of {field.min_items}-{field.max_items} items")
        ok = is_supported if kind == "locales" else _is_id
        if not all(ok(v) for v in value):
            raise invalid(f"{name} has an unknown item")
        return list(dict.fromkeys(value))
    if not isinstance(value, str):
        raise invalid(f"{name} must be a string")
    if kind == "line":
        if not 0 < len(value) <= field.max_len or _has_lone_surrogate(value):
            raise invalid(f"{name} must be 1-{field.max_len} characters of text")
        return value
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


def _is_id(value: object) -> bool:
    return isinstance(value, str) and OPAQUE_ID.match(value) is not None


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


AUDIENCES = ("self", "other", "professional")
TOPICS = ("control", "marriage", "fgm", "violence", "other")
AGE_BANDS = ("13-15", "16-17", "18-21", "22-26", "over-26")

VISITOR_AUTH = {
    "resume": F("str", nullable=True, max_len=128),
    "locale": F("str", nullable=True, max_len=16),
    # The widget's centre (data-centre) and the origin of the page that embeds it,
    # checked by services/embedding.py (a bad value: unknown_centre/origin_not_allowed).
    "centre": F("str", nullable=True, max_len=64),
    "host": F("str", nullable=True, max_len=255),
}
START = {
    "locale": F("locale", nullable=True),
    # The resource centre (issue 19; the widget's data-centre): a slug, checked by the
    # service (an unknown one: not_found). Absent: "default".
    "centre": F("str", nullable=True, max_len=40),
    "audience": F("enum", required=True, choices=AUDIENCES),
    "topic": F("enum", nullable=True, choices=TOPICS),
    "urgent": F("bool", nullable=True),
    "age_band": F("enum", nullable=True, choices=AGE_BANDS),
    # Overflow (issue 19 point 4): start in this other centre, chosen by the visitor
    # from ``overflow_options``; ``centre`` stays their home centre.
    "overflow_to": F("str", nullable=True, max_len=40),
}
# Overflow (services/overflow.py): what another centre could offer before a start, and
# the visitor's choice for a waiting conversation.
OVERFLOW_OPTIONS = {
    "centre": F("str", nullable=True, max_len=40),
    "audience": F("enum", nullable=True, choices=AUDIENCES),
    "locale": F("locale", nullable=True),
}
OVERFLOW_ACCEPT = {"centre": F("str", required=True, max_len=40)}
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
TRIAGE_CHECK = {"conversation_id": F("id", required=True), "triage": F("dict", required=True)}
TRIAGE_SAVE = {"triage_id": F("id", required=True), "triage": F("dict", required=True)}
TRIAGE_SKIP = {"triage_id": F("id", required=True), "reason": F("str", required=True, max_len=32)}
# A live chat or an ended one waiting for triage: exactly one (services/pending_triage.py).
TRIAGE_REF = {"conversation_id": F("id", nullable=True), "triage_id": F("id", nullable=True)}
# Values checked by services/pending_triage.py check_marks.
TRIAGE_MARKS = {
    **TRIAGE_REF,
    "categories": F("any", nullable=True),
    "age_band": F("str", nullable=True, max_len=16),
    "municipality": F("str", nullable=True, max_len=80),
}
TRANSFER = {
    "conversation_id": F("id", required=True),
    "to": F("id", required=True),
    "note": F("text", nullable=True),
}
INVITE = {"conversation_id": F("id", required=True), "to": F("id", required=True)}
NOTE = OPERATOR_MESSAGE
# ``conversation_id``: that chat's centre's responses; else ``centre`` (issue 19); else
# the person's primary centre.
CANNED = {
    "locale": F("locale", nullable=True),
    "conversation_id": F("id", nullable=True),
    "centre": F("str", nullable=True, max_len=40),
}
REFERRAL = {"conversation_id": F("id", required=True), "targets": F("ids", required=True, min_items=1, max_items=10)}
FOLLOWUP_SUMMARY = {"conversation_id": F("id", required=True), "summary": F("text", required=True)}
FOLLOWUP_CODE = {"code": F("str", required=True, max_len=40)}
FEEDBACK = {"token": F("str", required=True, max_len=64), "answer": F("enum", required=True, choices=FEEDBACK_ANSWERS)}
REMOVE_WAITING = {"conversation_ids": F("ids", required=True, min_items=1, max_items=200)}

# HTTP bodies (console API) ---------------------------------------------------------
LOGIN = {
    "username": F("line", required=True, max_len=1024),
    "password": F("line", required=True, max_len=1024),
    "totp": F("line", required=True, max_len=1024),
}
# The setup token is checked by the first-run service (a bad one is ``unauthorized``).
SETUP_BEGIN = {"token": F("any", nullable=True), "username": F("line", nullable=True, max_len=64)}
SETUP_COMPLETE = {
    "token": F("any", nullable=True),
    "username": F("line", required=True, max_len=64),
    "name": F("line", required=True, max_len=80),
    "password": F("line", required=True, max_len=1024),
    "totp": F("line", required=True, max_len=12),
    "locale": F("locale", nullable=True),
}
OWN_PROFILE = {
    "locale": F("locale"),
    "languages": F("locales", min_items=1),
    "name": F("line", max_len=80),
}
NEW_ACCOUNT = {
    "username": F("line", required=True, max_len=64),
    "name": F("line", required=True, max_len=80),
    "role": F("enum", choices=ROLES),
    "password": F("line", required=True, max_len=1024),
    "locale": F("locale"),
    "languages": F("locales", min_items=1),
    # Routing skills; their rules are services/staff.py update_profile's.
    "audiences": F("any"),
    "max_chats": F("int", nullable=True),
}
ACCOUNT_CHANGES = {
    "role": F("enum", choices=ROLES),
    "name": F("line", max_len=80),
    "disabled": F("bool"),
    "languages": F("locales", min_items=1),
    "locale": F("locale"),
    "audiences": F("any"),
    "max_chats": F("int", nullable=True),
}
# Centres (issue 19): names per locale, SCB codes; rules in services/centres.py.
NEW_CENTRE = {
    "id": F("line", required=True, max_len=40),
    "names": F("dict", required=True),
    "county": F("str", nullable=True, max_len=2),
    "municipalities": F("any"),
    "audience": F("enum", choices=("all", "professional")),
    "origins": F("any", nullable=True),  # checked by services/origins.py
}
CENTRE_CHANGES = {
    "names": F("dict"),
    "county": F("str", nullable=True, max_len=2),
    "municipalities": F("any"),
    "audience": F("enum", choices=("all", "professional")),
    "disabled": F("bool"),
    "origins": F("any", nullable=True),  # null: not set (default: CHAT_ALLOWED_ORIGINS)
    "overflow": F("any"),  # a list of centre ids, checked by services/centres.py
    "overflow_wait_s": F("int", nullable=True),  # null: the default
}
MEMBERSHIP = {"role": F("enum", required=True, nullable=True, choices=ROLES)}
NATIONAL_ADMIN = {"national_admin": F("bool", required=True)}
NEW_PASSWORD = {"password": F("line", required=True, max_len=1024)}
CANNED_ITEMS = {"items": F("any", nullable=True)}  # checked by services/canned.py
