"""Exactly once across a resume: the gate in front of one client's socket.

A visitor who resumes joins their conversation's room first (so nothing published from
then on misses them, on any process) and reads the history after. A message stored
before that read but relayed after the join, from this process or through Redis from
another, would reach the new socket twice: live, and in ``history``; a message relayed
live before ``history`` was sent would even come first. docs/protocol.md promises
``session``, ``history``, ``state``, then live, each message once.

So while a resume is being set up, everything this process would send the socket is
held (:meth:`Gate.admit` keeps it). The namespace then sends what the resume says
first, directly, and opens the gate: the held packets follow, in their order, but
not those carrying a record ``id`` the history already had. Such an id's live copy may
still be on its way (published by a slow process after the history was read), so the
gate keeps the ids it has not yet met for the rest of the socket's life (a few bytes
per message of one conversation; each id goes once its copy is dropped).
"""

from __future__ import annotations

import json
from typing import Any


def record_id(packet: Any) -> str | None:
    """The ``id`` of an encoded Socket.IO EVENT whose first argument is an object with
    an ``id`` (``message``, ``referral``, ``followup_code``), else None. Text packets
    only: ``2[/ns,]["event",{…}]``."""
    if not isinstance(packet, str) or not packet.startswith("2"):
        return None
    start = packet.find("[")
    if start < 0:
        return None
    try:
        data = json.loads(packet[start:])
    except ValueError:
        return None
    if isinstance(data, list) and len(data) > 1 and isinstance(data[1], dict):
        found = data[1].get("id")
        return found if isinstance(found, str) else None
    return None


class Gate:
    """What one socket may receive while and after its resume is set up."""

    __slots__ = ("held", "known")

    def __init__(self) -> None:
        #: Packets kept while the resume is set up; None once released.
        self.held: list[Any] | None = []
        #: Ids the socket got in ``history`` whose live copy has not been dropped yet.
        self.known: set[str] = set()

    def admit(self, packet: Any) -> bool:
        """Whether ``packet`` goes out now: False while held (kept for the release) or
        when it repeats a record the history had (dropped)."""
        if self.held is not None:
            self.held.append(packet)
            return False
        return not self._repeats(packet)

    def _repeats(self, packet: Any) -> bool:
        if not self.known:
            return False
        found = record_id(packet)
        if found is None or found not in self.known:
            return False
        self.known.discard(found)
        return True

    def drain(self, known: set[str], sent: frozenset[Any] = frozenset()) -> list[Any]:
        """From now on ``known`` (the ids the history had) are dropped; returns the
        packets held so far that still go out, in order, and holds on (a packet
        arriving while they are sent waits for the next drain). A held packet equal to
        one of ``sent`` (what the resume itself just sent: the same ``queue`` place the
        visitor's own return announced, say) is dropped too: it would say nothing new."""
        held, self.held = self.held or [], []
        self.known |= known
        return [p for p in held if p not in sent and not self._repeats(p)]

    def open(self) -> None:
        """Nothing more is held: packets go out as they come (repeats still dropped)."""
        self.held = None

    @property
    def done(self) -> bool:
        """Open, with nothing left to drop: the gate can go."""
        return self.held is None and not self.known
