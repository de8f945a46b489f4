"""The domain: what a conversation, an offer, a staff member and a visitor session are.

Frozen dataclasses with ``Literal`` types. A change is a new value
(``dataclasses.replace``); only :class:`~chat_server.services.repository.Repository`
reads and writes them, through ``to_record``/``from_record`` (JSON for the ephemeral
store). ``from_record`` fills defaults for every field a record may lack, so records
written by an older release (without ``version``, ``invited_ids``…) still load.

Nothing here holds message text: the stored message record carries ciphertext only.

Decoding is on the message path (every message reads its conversation), so
``from_record`` fills a new instance's ``__dict__`` in one step (:func:`_decoded`)
instead of calling the frozen ``__init__``, which sets each field through
``object.__setattr__``; every field is given, and tests/services/test_domain.py
round-trips each type. For the same reason a conversation is stored *sparse*: fields at
their default are left out of a new record (an empty list costs a copy on every read of
the memory store) and filled in again when it is read.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, Literal, TypeVar

State = Literal["waiting", "active", "ended"]
#: Who a visitor asks for (the ``start`` event): themself, someone else, or a
#: professional asking for advice.
Audience = Literal["self", "other", "professional"]
Topic = Literal["control", "marriage", "fgm", "violence", "other"]
AgeBand = Literal["13-15", "16-17", "18-21", "22-26", "over-26"]
Role = Literal["operator", "supervisor", "admin"]
Sender = Literal["visitor", "operator", "system"]

#: ``end`` reasons sent with ``ended`` (docs/protocol.md) and counted as ``outcome``.
EndReason = Literal["visitor_ended", "visitor_exit", "operator_ended", "abandoned", "blocked"]

#: Millisecond timestamps since the Unix epoch, UTC, everywhere below.
Millis = int
_T = TypeVar("_T")


def _decoded(cls: type[_T], values: dict[str, Any]) -> _T:
    """An instance of the frozen dataclass ``cls`` with exactly ``values`` (every field)."""
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


@dataclass(frozen=True)
class Offer:
    """A chat offered to one operator (routing ``auto`` mode) until ``until`` (ms)."""

    staff_id: str
    until: Millis
    interpreter: bool = False

    def to_record(self) -> dict[str, object]:
        return {"staff_id": self.staff_id, "until": self.until, "interpreter": self.interpreter}

    @staticmethod
    def from_record(raw: Mapping[str, Any] | None) -> Offer | None:
        if not raw:
            return None
        return _decoded(
            Offer, {"staff_id": raw["staff_id"], "until": raw["until"], "interpreter": bool(raw.get("interpreter"))}
        )


@dataclass(frozen=True)
class Conversation:
    """One conversation from ``start`` until it is destroyed.

    ``version`` is incremented by the repository on every write; it is what the
    compare-and-set compares. Participants: ``operator_id`` (assigned, may write),
    ``invited_ids`` (colleagues who may write), ``observer_ids`` (supervisors who read
    silently); ``staff_names`` maps each participant's id to the name shown.
    """

    id: str
    state: State
    created_at: Millis
    waiting_since: Millis
    locale: str
    audience: Audience
    pseudonym: str
    session_key: str  # lookup hash of the visitor's resume token, never the token
    topic: Topic | None = None
    urgent: bool = False
    age_band: AgeBand | None = None
    # The resource centre it was started with (services/centre_domain.py; the widget
    # names it, else "default"): its queue, staff, directory and statistics.
    centre: str = "default"
    # The visitor's own centre when an overflow moved the conversation to another
    # centre's queue (services/overflow.py), else None: the receiving counsellor is
    # shown it and its referral directory, and both centres count the chat.
    home_centre: str | None = None
    # The centres the visitor was last offered to move to (services/overflow.py), so
    # the offer is sent once per change, by one process.
    overflow_offered: tuple[str, ...] = ()
    accepted_at: Millis | None = None
    operator_id: str | None = None
    operator_name: str | None = None
    invited_ids: tuple[str, ...] = ()
    observer_ids: tuple[str, ...] = ()
    staff_names: Mapping[str, str] = field(default_factory=dict)
    offer: Offer | None = None
    passed: tuple[str, ...] = ()  # operators who let an offer pass (routing)
    interpreter_needed: bool = False
    visitor_connected: bool = True
    visitor_away_since: Millis | None = None
    visitor_sid: str | None = None  # the visitor's newest socket (only it may mark away)
    # The process that socket is connected to (services/presence.py: a process whose
    # heartbeat stopped has no sockets left, so its visitors are away).
    visitor_node: str | None = None
    # The visitor's rate-limit key (HMAC of the address under the daily key, never the
    # address), set at start and at every resume, so ``block`` works from any process.
    address_key: str | None = None
    referral_types: tuple[str, ...] = ()  # kinds only, for the statistics
    followup_issued: bool = False
    followup_redeemed: bool = False
    version: int = 0

    # --- reading ---------------------------------------------------------------------
    @property
    def live(self) -> bool:
        """Waiting or active (not ended)."""
        return self.state != "ended"

    def staff_participants(self) -> tuple[str, ...]:
        """Everyone on the staff side who receives the conversation's messages: the
        assigned operator, invited colleagues and silent observers, each once."""
        if not self.invited_ids and not self.observer_ids:  # most chats: one operator or none
            return (self.operator_id,) if self.operator_id else ()
        ids = (self.operator_id, *self.invited_ids, *self.observer_ids)
        return tuple(dict.fromkeys(i for i in ids if i))

    def may_write(self, staff_id: str) -> bool:
        """May this staff member send messages and notes (assigned or invited)?"""
        return self.state == "active" and (staff_id == self.operator_id or staff_id in self.invited_ids)

    def is_assigned_to(self, staff_id: str) -> bool:
        """Active and assigned to this staff member."""
        return self.state == "active" and self.operator_id == staff_id

    # --- storage ---------------------------------------------------------------------
    def to_record(self, sparse: bool = False) -> dict[str, object]:
        """The JSON record kept in the ephemeral store; ``sparse`` leaves out the
        optional fields that are at their default (a new record)."""
        record: dict[str, object] = {
            "id": self.id,
            "state": self.state,
            "created_at": self.created_at,
            "waiting_since": self.waiting_since,
            "accepted_at": self.accepted_at,
            "locale": self.locale,
            "audience": self.audience,
            "topic": self.topic,
            "urgent": self.urgent,
            "age_band": self.age_band,
            "centre": self.centre,
            "home_centre": self.home_centre,
            "overflow_offered": list(self.overflow_offered),
            "pseudonym": self.pseudonym,
            "session_key": self.session_key,
            "operator_id": self.operator_id,
            "operator_name": self.operator_name,
            "invited_ids": list(self.invited_ids),
            "observer_ids": list(self.observer_ids),
            "staff_names": dict(self.staff_names),
            "offer": self.offer.to_record() if self.offer else None,
            "passed": list(self.passed),
            "interpreter_needed": self.interpreter_needed,
            "visitor_connected": self.visitor_connected,
            "visitor_away_since": self.visitor_away_since,
            "visitor_sid": self.visitor_sid,
            "visitor_node": self.visitor_node,
            "address_key": self.address_key,
            "referral_types": list(self.referral_types),
            "followup_issued": self.followup_issued,
            "followup_redeemed": self.followup_redeemed,
            "version": self.version,
        }
        if sparse:
            return {k: v for k, v in record.items() if k not in _SPARSE or v != _SPARSE[k]}
        return record

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> Conversation:
        """A conversation from its stored record; missing fields get their defaults
        (an older or sparse record), fields this release does not know are ignored."""
        values = dict(_DECODE_DEFAULTS)
        values["waiting_since"] = r["created_at"]
        values.update(r)
        if len(values) != len(_DECODE_DEFAULTS):  # a newer release's extra fields
            values = {k: values[k] for k in _DECODE_DEFAULTS}
        for name in _TUPLES:
            if name in r:
                values[name] = tuple(r[name] or ())
        values["staff_names"] = dict(r["staff_names"] or {}) if "staff_names" in r else {}
        if r.get("offer"):
            values["offer"] = Offer.from_record(r["offer"])
        values["version"] = values["version"] or 0
        return _decoded(Conversation, values)


# Every field with the value a record without it means (the required ones are always
# in a record); the list fields come back as tuples.
_DECODE_DEFAULTS: dict[str, Any] = {
    f.name: f.default if f.default is not MISSING else None for f in fields(Conversation) if f.init
}
_DECODE_DEFAULTS["staff_names"] = {}
_TUPLES = ("invited_ids", "observer_ids", "passed", "referral_types", "overflow_offered")
# Optional fields a sparse record leaves out at these values (from_record restores them).
_SPARSE: dict[str, object] = {
    "centre": "default",
    "home_centre": None,
    "overflow_offered": [],
    "invited_ids": [],
    "observer_ids": [],
    "staff_names": {},
    "offer": None,
    "passed": [],
    "interpreter_needed": False,
    "visitor_node": None,
    "address_key": None,
    "referral_types": [],
    "followup_issued": False,
    "followup_redeemed": False,
    "version": 0,
}


@dataclass(frozen=True)
class Staff:
    """A signed-in staff member as services see them (from the staff session).

    ``centres``: ``{centre_id: role}``, the centres they belong to and their role in
    each (services/centre_domain.py); empty means "``default`` with ``role``" (a value
    made before centres, as some tests do). ``role``: their role in their primary
    centre, the one the pre-centre endpoints act on. ``national_admin``: manages
    centres; it gives no right to any centre's conversations.
    """

    id: str
    name: str
    role: Role
    locale: str
    centres: Mapping[str, Role] = field(default_factory=dict)
    national_admin: bool = False

    @property
    def memberships(self) -> Mapping[str, Role]:
        """``{centre_id: role}``, never empty."""
        return self.centres or {"default": self.role}

    def role_in(self, centre_id: str) -> Role | None:
        """Their role in ``centre_id``, or None when they do not belong to it."""
        return self.memberships.get(centre_id)

    @staticmethod
    def from_account(record: Mapping[str, Any]) -> Staff:
        """From a durable staff account record (services/staff.py); ``role`` is the
        role in the primary centre (services/centre_domain.primary_centre)."""
        # Imported here: centre_domain builds on this module's types.
        from .centre_domain import is_national_admin, memberships, primary_centre

        centres = memberships(record)
        return Staff(
            record["id"],
            record["name"],
            centres[primary_centre(centres)],
            record.get("locale", "sv"),
            centres,
            is_national_admin(record),
        )


@dataclass(frozen=True)
class VisitorSession:
    """A visitor's session: kept in the ephemeral store under ``key`` and, while a
    socket is connected, in that socket's memory.

    ``key`` is the lookup hash of the resume token; the token itself is never stored
    (``token`` is here only so the ``session`` event can hand it to the widget).
    """

    key: str
    token: str
    pseudonym: str
    locale: str
    conversation_id: str | None = None
    version: int = 0
    # The resource centre the widget named at connect (services/embedding.py): its
    # opening hours are the session's, and a ``start`` that names none starts there.
    centre: str = "default"

    def to_record(self) -> dict[str, object]:
        # The token is deliberately not part of the record.
        return {
            "pseudonym": self.pseudonym,
            "locale": self.locale,
            "conversation_id": self.conversation_id,
            "version": self.version,
            "centre": self.centre,
        }

    @staticmethod
    def from_record(key: str, token: str, r: Mapping[str, Any]) -> VisitorSession:
        return VisitorSession(
            key,
            token,
            r["pseudonym"],
            r["locale"],
            r.get("conversation_id"),
            int(r.get("version") or 0),
            str(r.get("centre") or "default"),
        )


@dataclass(frozen=True)
class Duty:
    """A staff member on duty: the languages they take for this shift."""

    staff_id: str
    name: str
    languages: tuple[str, ...]

    def to_record(self) -> dict[str, object]:
        return {"on": True, "languages": list(self.languages), "name": self.name}

    @staticmethod
    def from_record(staff_id: str, r: Mapping[str, Any]) -> Duty:
        return Duty(staff_id, r.get("name", ""), tuple(r.get("languages") or ()))


@dataclass(frozen=True)
class StoredMessage:
    """One entry of a conversation's log, as stored: never plaintext.

    ``enc`` is the text (or, for a system message, its JSON parameters) encrypted under
    the conversation's key. The log keeps them in order (the store also numbers them,
    ``seq``, which no service needs).
    """

    id: str
    sender: Sender
    ts: Millis
    enc: str
    client_id: str | None = None
    staff_id: str | None = None
    # System messages: what happened (operator_joined…), or what the record holds for the
    # visitor (referral cards, a follow-up code: services/messages.py).
    code: str | None = None
    internal: bool = False  # staff-only: never sent to the visitor

    def to_record(self) -> dict[str, object]:
        record: dict[str, object] = {
            "id": self.id,
            "client_id": self.client_id,
            "from": self.sender,
            "staff_id": self.staff_id,
            "enc": self.enc,
            "ts": self.ts,
        }
        if self.code is not None:
            record["code"] = self.code
        if self.internal:
            record["internal"] = True
        return record

    @staticmethod
    def new(
        sender: Sender,
        enc: str,
        *,
        client_id: str | None = None,
        staff_id: str | None = None,
        code: str | None = None,
        internal: bool = False,
    ) -> StoredMessage:
        """The one place a message record is made: a fresh random id and the time now.
        ``enc`` is already encrypted under the conversation's key."""
        return _decoded(
            StoredMessage,
            {
                "id": "m" + secrets.token_urlsafe(9),
                "sender": sender,
                "ts": now_ms(),
                "enc": enc,
                "client_id": client_id,
                "staff_id": staff_id,
                "code": code,
                "internal": internal,
            },
        )

    @staticmethod
    def from_record(r: Mapping[str, Any]) -> StoredMessage:
        return _decoded(
            StoredMessage,
            {
                "id": r["id"],
                "sender": r["from"],
                "ts": r["ts"],
                "enc": r["enc"],
                "client_id": r.get("client_id"),
                "staff_id": r.get("staff_id"),
                "code": r.get("code"),
                "internal": bool(r.get("internal")),
            },
        )


def now_ms() -> Millis:
    """The current time in milliseconds since the Unix epoch (UTC)."""
    return int(time.time() * 1000)
