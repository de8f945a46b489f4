"""Presence per process: which sockets are connected here, and which processes live.

Each process has a random *node id*. A conversation records the process its visitor's
socket is connected to (``visitor_node``, with ``visitor_sid``) and a console socket is
recorded as ``<node>/<sid>`` (services/repository_staff.py). Each process writes a
heartbeat with a time to live (:func:`node_ttl_s`) at start and at every sweep.

That is the safety net under the disconnect handlers (services/sweeper.py uses it): a
conversation shown "connected" whose socket is not connected on its own process, or
whose process has stopped beating (killed, its host lost), and a console socket of the
same kinds, are gone, whatever happened to their disconnect. The transport keeps the
registries of this process's sockets (:class:`~.sessions.AddressBook` for visitors,
:class:`ConsoleSockets` here): a socket is added before anything is recorded for it
and removed before its disconnect is handled, so the net never mistakes a socket that
is being set up for a lost one.
"""

from __future__ import annotations

import math
import secrets

from ..config import Settings
from .domain import Conversation
from .repository import Repository
from .sessions import AddressBook

#: The shortest time to live of a heartbeat (s).
NODE_TTL_MIN_S = 10


def new_node_id() -> str:
    """A random id for this process (never reused: a restarted process is a new node)."""
    return secrets.token_hex(8)


def node_ttl_s(settings: Settings) -> int:
    """How long a heartbeat lives (s): five sweeps, at least :data:`NODE_TTL_MIN_S`, so a
    late sweep or a slow store does not make a live process look dead."""
    return max(NODE_TTL_MIN_S, math.ceil(5 * settings.sweep_interval_s))


class ConsoleSockets:
    """The console sockets connected to this process (the operator namespace keeps it)."""

    def __init__(self) -> None:
        self._sids: set[str] = set()

    def opened(self, sid: str) -> None:
        self._sids.add(sid)

    def closed(self, sid: str) -> None:
        self._sids.discard(sid)

    def here(self, sid: str) -> bool:
        return sid in self._sids


class Presence:
    """This process's node id and heartbeat, and the judgement of who is gone."""

    def __init__(self, repo: Repository, visitors: AddressBook, consoles: ConsoleSockets, settings: Settings) -> None:
        self._repo = repo
        self._visitors = visitors
        self.consoles = consoles
        self._ttl_s = node_ttl_s(settings)

    @property
    def node_id(self) -> str:
        return self._repo.node_id

    async def heartbeat(self) -> None:
        """This process is alive (called at start and by every sweep)."""
        await self._repo.heartbeat(self._ttl_s)

    async def gone_visitors(self, convs: list[Conversation]) -> list[tuple[str, str]]:
        """(conversation id, socket) of the conversations in ``convs`` shown connected
        whose visitor socket is gone: not connected here though recorded here, or
        recorded on a process whose heartbeat expired. Records without a node (an older
        release's) are left alone."""
        shown = [(c.id, c.visitor_node, c.visitor_sid) for c in convs if c.live and c.visitor_connected]
        recorded = [(cid, node, sid) for cid, node, sid in shown if node and sid]
        alive = await self._repo.nodes_alive({node for _, node, _ in recorded if node != self.node_id})
        out = []
        for cid, node, sid in recorded:
            gone = not self._visitors.here(sid) if node == self.node_id else node not in alive
            if gone:
                out.append((cid, sid))
        return out

    def returned_visitors(self, convs: list[Conversation]) -> list[tuple[str, str]]:
        """(conversation id, socket) of the conversations in ``convs`` shown away whose
        socket is connected here after all (another process judged this one dead while
        its heartbeat was late)."""
        return [
            (c.id, c.visitor_sid)
            for c in convs
            if c.live
            and not c.visitor_connected
            and c.visitor_node == self.node_id
            and c.visitor_sid
            and self._visitors.here(c.visitor_sid)
        ]

    async def gone_consoles(self, staff_ids: set[str]) -> list[tuple[str, str, str]]:
        """(staff id, node, socket) of the recorded console sockets of ``staff_ids``
        that are gone (as for visitors)."""
        found = {staff_id: await self._repo.console_sockets(staff_id) for staff_id in sorted(staff_ids)}
        others = {node for sockets in found.values() for node, _ in sockets if node and node != self.node_id}
        alive = await self._repo.nodes_alive(others)
        out = []
        for staff_id, sockets in found.items():
            for node, sid in sockets:
                if node == self.node_id:
                    gone = not self.consoles.here(sid)
                else:
                    gone = bool(node) and node not in alive
                if gone:
                    out.append((staff_id, node, sid))
        return out
