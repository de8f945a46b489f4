"""What the soak (chat_server/bench/soak.py) records about each conversation.

Plain data, filled in by the load generator while it runs (soak_actors.py,
soak_director.py) and judged afterwards by soak_check.py. Times are seconds since the
soak started (one monotonic clock). Nothing here talks to a server, so the checks can
be tested on hand-made records (tests/load/test_soak_check.py).

A *view* is one list of messages as one client received it: the ``history`` of one
visitor connection, the live messages of one visitor connection, or what one staff
member received during one *tenure* (from ``assigned``/``invited`` to ``released``/
``ended``): the history in that event, then the live messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Seen:
    """One message as a client received it (a ``message`` event or a history item)."""

    id: str
    client_id: str | None
    sender: str  # "visitor" | "operator" | "system"
    t: float
    text: str = ""
    staff_id: str | None = None
    internal: bool = False
    code: str | None = None

    @classmethod
    def of(cls, payload: Any, t: float) -> Seen:
        """From a ``message`` payload or a history item (docs/protocol.md)."""
        p = payload if isinstance(payload, dict) else {}
        return cls(
            id=str(p.get("id")),
            client_id=p.get("client_id"),
            sender=str(p.get("from")),
            t=t,
            text=str(p.get("text", "")),
            staff_id=p.get("staff_id"),
            internal=bool(p.get("internal")),
            code=p.get("code"),
        )


@dataclass
class Sent:
    """One message the soak sent (and, once acknowledged, its server id)."""

    n: int  # order of the first attempt within the conversation, from 1
    client_id: str
    by: str  # "visitor" or the staff id
    t: float
    text: str
    internal: bool = False
    ack_id: str | None = None
    ack_t: float | None = None
    refused: str | None = None  # error code of a refusal
    attempts: int = 1
    # The first attempt's ack never came (the connection was cut right after it); the
    # message was sent again with the same client_id after the resume.
    first_unacked: bool = False
    # Index into ConvRecord.tenures of the tenure that held the chat when this was sent
    # (None while the chat was waiting in the queue).
    tenure: int | None = None


@dataclass
class VisitorConn:
    """One visitor connection (socket) within one conversation."""

    n: int
    process: int
    t_open: float
    resumed: bool = False
    session_conversation: str | None = None  # session.conversation.id after a resume
    t_cut: float | None = None
    cut: str | None = None  # abort | silent | close | after_end
    history: list[Seen] | None = None
    t_history: float | None = None
    histories: int = 0  # history events received (one per resume)
    live: list[Seen] = field(default_factory=list)
    live_before_history: int = 0  # live[:k] arrived before the history
    states: list[tuple[float, str]] = field(default_factory=list)
    ended: list[tuple[float, str]] = field(default_factory=list)
    referrals: list[tuple[float, list[str]]] = field(default_factory=list)  # live, card ids
    history_referrals: list[list[str]] = field(default_factory=list)  # card ids in history
    followup_codes: list[tuple[float, str]] = field(default_factory=list)  # live and history
    typing: list[tuple[float, bool]] = field(default_factory=list)


@dataclass
class Tenure:
    """One staff member's time in one conversation."""

    staff_id: str
    role: str  # holder | invited
    how: str  # accept | transfer | invite
    t_start: float
    history: list[Seen] = field(default_factory=list)
    live: list[Seen] = field(default_factory=list)
    # After the staff member's connection dropped and came back: the chat's messages in
    # the new connection's ``session.chats`` (or ``sync``), one list per return.
    resyncs: list[list[Seen]] = field(default_factory=list)
    t_end: float | None = None
    # "released:<reason>" | "ended:<reason>" | "released:gone_after_reconnect" (a
    # returning console no longer finds the chat: it was requeued meanwhile)
    end: str | None = None
    # Staff the console was shown as invited or observing (summaries received while
    # holding the chat): who else may legitimately receive its messages.
    shown: set[str] = field(default_factory=set)

    @property
    def open(self) -> bool:
        return self.t_end is None


@dataclass
class Drop:
    """A visitor connection cut without a goodbye, and its resume."""

    t: float
    kind: str  # abort | silent | close
    typing_before: bool  # the visitor had sent typing {active: true} just before
    in_flight: str | None  # client_id sent right before the cut, its ack not awaited
    holder: str | None  # staff id holding the chat at the cut
    t_resume: float | None = None
    process_from: int = 0
    process_to: int = 0


@dataclass
class Referral:
    t: float
    by: str
    cards: list[str]  # card ids from the ack
    during_drop: bool


@dataclass
class Fault:
    """Something the soak found wrong; ``details`` say enough to reproduce it."""

    kind: str
    conversation: str | None
    summary: str
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "conversation": self.conversation, "summary": self.summary, "details": self.details}


@dataclass
class ConvRecord:
    """Everything the soak did and saw in one conversation."""

    slot: int
    seq: int  # the slot's n-th conversation
    t_start: float
    id: str = ""
    pseudonym: str = ""
    sent: list[Sent] = field(default_factory=list)
    conns: list[VisitorConn] = field(default_factory=list)
    tenures: list[Tenure] = field(default_factory=list)
    stray: list[tuple[str, Seen]] = field(default_factory=list)  # staff received outside any tenure
    typing: dict[str, list[tuple[float, bool]]] = field(default_factory=dict)  # per staff id
    drops: list[Drop] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    followups: list[tuple[float, bool]] = field(default_factory=list)  # (t, during_drop) acked
    ended_by: str | None = None  # the end reason the soak caused
    # An end whose ack was lost with its console's connection may have happened all the
    # same: then the visitor's end that follows finds it ended, and either reason is right.
    ended_by_also: str | None = None
    t_end: float | None = None
    # The conversation is not judged message by message: it was already found lost,
    # ended by someone else, or never accepted (a fault of its own).
    broken: bool = False
    timeline: list[tuple[float, str]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)  # found while it ran

    def note(self, t: float, text: str) -> None:
        self.timeline.append((t, text))

    def fault(self, kind: str, summary: str, *details: str, broken: bool = False) -> None:
        self.faults.append(Fault(kind, self.id or None, summary, list(details)))
        self.broken = self.broken or broken

    def holder_tenure(self) -> int | None:
        """Index of the open holder tenure, if any."""
        for i in range(len(self.tenures) - 1, -1, -1):
            if self.tenures[i].role == "holder" and self.tenures[i].open:
                return i
        return None

    def open_tenure(self, staff_id: str) -> Tenure | None:
        for tenure in reversed(self.tenures):
            if tenure.staff_id == staff_id and tenure.open:
                return tenure
        return None
