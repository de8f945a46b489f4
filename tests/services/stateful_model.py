"""What the clients of a deployment see, for the stateful test (test_stateful.py).

The recording ``Events`` of every process append to one list. :class:`Clients` reads
each step's new events as the clients would receive them (visitor rooms reach the
sockets that joined them and are connected; a staff room reaches the console however
it is connected, as a reconnecting console resynchronises) and keeps what each console
shows (its chats, the visitor typing) and what each visitor's widget has (the records
it received, the operator typing). :func:`check_step` then says what may not happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from chat_server.services.domain import Conversation, Staff, VisitorSession

from .conftest import Sent

#: Staff events about one conversation that only its participants (before or after
#: the step) may receive. ``offer``/``offer_withdrawn`` go to the operator offered the
#: chat, ``alert`` to supervisors; ``queue`` is for the queue watchers.
PARTICIPANT_EVENTS = frozenset({"message", "typing", "conversation", "followup_requested", "ended", "released"})
JOINING_EVENTS = frozenset({"assigned", "invited"})
#: The ``code`` of a visitor record (referral cards, a follow-up code) in ``history``.
RECORD_CODES = frozenset({"referral", "followup_code"})


@dataclass
class Visitor:
    """One visitor: their session and, while connected, their socket."""

    n: int
    sess: VisitorSession
    key: str
    process: int | None = None  # the process their socket is connected to
    sid: str | None = None
    rooms: set[str] = field(default_factory=set)
    sockets: int = 0
    records: dict[str, int] = field(default_factory=dict)  # record id -> times received (live, or once by history)
    typing: bool = False  # "the counsellor is writing" as the widget shows it
    typing_by: str | None = None


@dataclass
class Operator:
    """One staff member and their console socket (None while it is gone)."""

    staff: Staff
    max_chats: int
    process: int
    sid: str | None = None
    sockets: int = 0
    chats: set[str] = field(default_factory=set)  # what their console shows
    typing: dict[str, bool] = field(default_factory=dict)  # visitor typing, per chat


def conversation_of(payload: Any) -> str | None:
    """The conversation a staff event is about, if any."""
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("conversation_id"), str):
        return str(payload["conversation_id"])
    conv = payload.get("conversation")
    return str(conv["id"]) if isinstance(conv, dict) and "id" in conv else None


class Clients:
    """The clients' side of every event (see the module)."""

    def __init__(self, sent: list[Sent], visitors: list[Visitor], operators: list[Operator]) -> None:
        self.sent = sent
        self.cursor = 0
        self.visitors = visitors
        self.operators = {op.staff.id: op for op in operators}
        self.problems: list[str] = []

    def receive(self, before: dict[str, Conversation], after: dict[str, Conversation]) -> list[Sent]:
        """Apply the events since the last call; note every one a client should never
        have received. Returns them."""
        new = self.sent[self.cursor :]
        self.cursor = len(self.sent)
        for s in new:
            kind, target = s.to
            if kind == "visitor":
                self._to_visitor(target, s)
            elif kind == "staff":
                self._to_staff(target, s, before, after)
        return new

    def _to_visitor(self, cid: str, s: Sent) -> None:
        for v in self.visitors:
            if v.sid is None or cid not in v.rooms:
                continue
            if s.event in ("referral", "followup_code"):
                rid = str(s.payload["id"])
                v.records[rid] = v.records.get(rid, 0) + 1
            elif s.event == "history":
                # A resume replays the conversation; the widget shows each record once
                # (by id, widget/src/app/state/conversation.js), so a record it did not
                # have is received now, once. One it had stays once; the same record
                # live again after this is a duplicate (counted, and refused by
                # ``holds``).
                for m in s.payload["messages"]:
                    if m.get("code") in RECORD_CODES:
                        v.records.setdefault(str(m["id"]), 1)
            elif s.event == "typing":
                v.typing = bool(s.payload["active"])
            elif s.event == "ended":
                v.typing = False

    def _to_staff(
        self, staff_id: str, s: Sent, before: dict[str, Conversation], after: dict[str, Conversation]
    ) -> None:
        op = self.operators.get(staff_id)
        cid = conversation_of(s.payload)
        if op is None or cid is None:
            return
        was = before.get(cid)
        now = after.get(cid)
        inside = (was is not None and staff_id in was.staff_participants()) or (
            now is not None and staff_id in now.staff_participants()
        )
        if s.event in PARTICIPANT_EVENTS and not inside:
            self.problems.append(f"{s.event} about {cid} reached {staff_id}, who is not in it: {s.payload}")
        if s.event in JOINING_EVENTS:
            if now is None or staff_id not in now.staff_participants():
                self.problems.append(f"{s.event} of {cid} to {staff_id}, who is not in it after the step")
            op.chats.add(cid)
        elif s.event in ("released", "ended"):
            op.chats.discard(cid)
            op.typing.pop(cid, None)
        elif s.event == "typing":
            op.typing[cid] = bool(s.payload["active"])


def check_step(
    live: dict[str, Conversation],
    visitors: Iterable[Visitor],
    operators: Iterable[Operator],
    pending_lost: set[str],
    max_of: dict[str, int],
) -> list[str]:
    """Every invariant of issue 14 (point 2) that can be read off the store and the
    clients after a step; returns what is wrong."""
    out = []
    sessions: dict[str, list[str]] = {}
    active: dict[str, int] = {}
    offers: dict[str, int] = {}
    sockets = {v.sid for v in visitors if v.sid}
    for conv in live.values():
        sessions.setdefault(conv.session_key, []).append(conv.id)
        if conv.state == "active" and conv.operator_id:
            active[conv.operator_id] = active.get(conv.operator_id, 0) + 1
        if conv.state == "waiting":
            # (A supervisor may observe a waiting chat; nobody else is in one.)
            if conv.operator_id or conv.invited_ids:
                out.append(f"{conv.id} waits with staff in it: {conv.operator_id} {conv.invited_ids}")
            if conv.offer:
                offers[conv.offer.staff_id] = offers.get(conv.offer.staff_id, 0) + 1
        if conv.visitor_connected and conv.visitor_sid not in sockets | pending_lost:
            out.append(f"{conv.id} shows its visitor connected on {conv.visitor_sid}, a socket that is gone")
    out += [f"session with {ids} live" for ids in sessions.values() if len(ids) > 1]
    for staff_id, n in active.items():
        if n > max_of[staff_id]:
            out.append(f"{staff_id} has {n} chats, more than their {max_of[staff_id]}")
        if n + offers.get(staff_id, 0) > max_of[staff_id]:
            out.append(f"{staff_id} has {n} chats and {offers.get(staff_id, 0)} offers, over {max_of[staff_id]}")
    for op in operators:
        shown = {cid for cid in op.chats if cid in live}
        inside = {cid for cid, c in live.items() if op.staff.id in c.staff_participants()}
        if shown != inside or op.chats - set(live):
            out.append(f"{op.staff.id}'s console shows {sorted(op.chats)}, they are in {sorted(inside)}")
        for cid, typing in op.typing.items():
            if typing and not (cid in live and live[cid].visitor_connected):
                out.append(f"{op.staff.id} still sees the visitor of {cid} typing")
    for v in visitors:
        conv = live.get(v.sess.conversation_id or "")
        if v.typing and not (conv and conv.state == "active" and conv.operator_id == v.typing_by):
            out.append(f"visitor {v.n} still sees {v.typing_by} typing")
    return out
