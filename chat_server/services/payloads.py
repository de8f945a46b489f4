"""The wire shapes services send (docs/protocol.md), built from domain values.

Pure functions: no I/O, no translation. Message rendering (which needs the key and the
catalogs) is in services/messages.py.
"""

from __future__ import annotations

from typing import TypedDict

from .domain import AgeBand, Audience, Conversation, Millis, State, Topic
from .waiting import Notice


class OperatorRef(TypedDict):
    id: str
    name: str | None


class StaffRef(TypedDict):
    id: str
    name: str


class OperatorName(TypedDict):
    name: str


class Summary(TypedDict):
    """A conversation as the console lists it (queue, assigned chats, offers)."""

    id: str
    state: State
    pseudonym: str
    locale: str
    audience: Audience
    topic: Topic | None
    urgent: bool
    age_band: AgeBand | None
    created_at: Millis
    waiting_since: Millis
    operator: OperatorRef | None
    visitor_connected: bool
    interpreter_needed: bool
    offered_to: str | None
    followup: bool
    centre: str  # the centre whose queue and staff have it (issue 19)
    home_centre: str  # the visitor's own centre (differs after an overflow)


class ConsoleSummary(Summary):
    """A summary plus the other staff in the chat (staff only)."""

    invited: list[StaffRef]
    observers: list[StaffRef]


class Brief(TypedDict):
    """The visitor's view of their conversation (``start`` ack, ``session``)."""

    id: str
    state: State
    position: int | None


class StatePayload(TypedDict):
    state: State
    operator: OperatorName | None


class QueuePosition(TypedDict):
    """The visitor's ``queue`` event: place, estimate (seconds, None: nobody on duty
    takes the chat), why helplines are offered (services/waiting.py ``Notice``) with the
    limit it is measured against, and the next opening (ms) while closed."""

    position: int
    wait_estimate_s: int | None
    notice: Notice | None
    wait_limit_s: int
    next_open_at: Millis | None


class QueueSnapshot(TypedDict):
    """The ``queue`` event for staff: the waiting chats of ``centres`` (the console
    replaces what it shows of those centres, and keeps the others it watches)."""

    items: list[Summary]
    centres: list[str]


def summary(conv: Conversation) -> Summary:
    """The conversation ``summary`` of docs/protocol.md (no content, nothing identifying)."""
    operator: OperatorRef | None = {"id": conv.operator_id, "name": conv.operator_name} if conv.operator_id else None
    return {
        "id": conv.id,
        "state": conv.state,
        "pseudonym": conv.pseudonym,
        "locale": conv.locale,
        "audience": conv.audience,
        "topic": conv.topic,
        "urgent": conv.urgent,
        "age_band": conv.age_band,
        "created_at": conv.created_at,
        "waiting_since": conv.waiting_since,
        "operator": operator,
        "visitor_connected": conv.visitor_connected,
        "interpreter_needed": conv.interpreter_needed,
        "offered_to": conv.offer.staff_id if conv.offer else None,
        "followup": conv.followup_redeemed,
        "centre": conv.centre,
        "home_centre": conv.home_centre or conv.centre,
    }


def console_summary(conv: Conversation) -> ConsoleSummary:
    """A summary plus who else is in the chat (invited colleagues, observers)."""
    names = conv.staff_names
    return {
        **summary(conv),
        "invited": [{"id": i, "name": names.get(i, "")} for i in conv.invited_ids],
        "observers": [{"id": i, "name": names.get(i, "")} for i in conv.observer_ids],
    }


def state_payload(conv: Conversation) -> StatePayload:
    """``state`` for the visitor: the operator's name only while a chat is active."""
    operator: OperatorName | None = (
        {"name": conv.operator_name} if conv.operator_name and conv.state == "active" else None
    )
    return {"state": conv.state, "operator": operator}


def brief(conv: Conversation, position: int | None) -> Brief:
    """The visitor's ``{id, state, position}``; ``position`` is 1-based, None unless waiting."""
    return {"id": conv.id, "state": conv.state, "position": position}


def queue_snapshot(waiting: list[Conversation], centres: list[str]) -> QueueSnapshot:
    """The ``queue`` event for the staff of ``centres``: summaries of their waiting
    chats, in queue order."""
    return {"items": [summary(c) for c in waiting], "centres": centres}
