"""The staff side of the repository: duty, console sockets and processes, operators'
places, blocks and counters.

A part of :class:`~chat_server.services.repository.Repository` (its base class), kept
in a module of its own to stay readable; no other module names these store keys.

Console sockets are kept per staff member as ``<node>/<sid>``: the process (node) a
socket is connected to is part of it, so that when a process dies with its sockets
(SIGKILL, a lost host), the others can tell its sockets are gone once its heartbeat has
expired (services/presence.py). Members written by an older release (a bare ``sid``)
are read with node ``""`` and judged by nobody.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..storage.base import Ephemeral
from .cas import CompareAndSet, Places
from .domain import Duty, Millis, now_ms

# Store names (kinds and indexes): the stored layout, see repository.py.
DUTY, BLOCKED, NODE, PLACES = "duty", "blocked", "node", "places"
DUTY_INDEX = "duty"
AWAY_INDEX = "op_away"  # staff with no console socket left, scored by when they left
SOCKETS_INDEX = "opsock:"  # + staff id: their console sockets, "<node>/<sid>"
SESSION_SOCKETS_INDEX = "opsess:"  # + staff session ref: the console sockets of that session


class StaffRecords:
    """Duty, console sockets, process heartbeats, operators' places, blocks, counters."""

    def __init__(self, eph: Ephemeral, cas: CompareAndSet, ttl_s: int, node_id: str) -> None:
        self._eph = eph
        self._cas = cas
        #: Lifetime of a conversation's records (s), and of what belongs to them.
        self.ttl_s = ttl_s
        #: This process (services/presence.py).
        self.node_id = node_id

    # --- duty -------------------------------------------------------------------------
    async def put_duty(self, duty: Duty) -> None:
        """Put a staff member on duty (record and index; expires with the conversation TTL)."""
        await self._eph.put(DUTY, duty.staff_id, duty.to_record(), self.ttl_s)
        await self._eph.index_add(DUTY_INDEX, duty.staff_id, now_ms(), self.ttl_s)

    async def remove_duty(self, staff_id: str) -> None:
        """Take a staff member off duty."""
        await self._eph.delete(DUTY, staff_id)
        await self._eph.index_remove(DUTY_INDEX, staff_id)

    async def duty_of(self, staff_id: str) -> Duty | None:
        """Their duty (languages for the shift), or None when off duty."""
        raw = await self._eph.get(DUTY, staff_id)
        return Duty.from_record(staff_id, raw) if raw is not None else None

    async def on_duty(self) -> list[tuple[str, Millis]]:
        """(staff id, on duty since) of everyone on duty, longest first."""
        return [(m, int(s)) for m, s in await self._eph.index_members(DUTY_INDEX)]

    # --- console sockets and away -----------------------------------------------------
    async def socket_connected(self, staff_id: str, sid: str) -> None:
        """A console socket of ``staff_id`` opened on this process: they are present."""
        await self._eph.index_add(SOCKETS_INDEX + staff_id, f"{self.node_id}/{sid}", now_ms(), self.ttl_s)
        await self._eph.index_remove(AWAY_INDEX, staff_id)

    async def socket_disconnected(self, staff_id: str, sid: str, node: str | None = None) -> bool:
        """A console socket closed (on ``node``, by default this process). True when
        this call removed their last one: they are away now."""
        member = sid if node == "" else f"{self.node_id if node is None else node}/{sid}"
        if not await self._eph.index_remove(SOCKETS_INDEX + staff_id, member):
            return False  # already gone (the disconnect and the sweep both saw it)
        if await self._eph.index_members(SOCKETS_INDEX + staff_id):
            return False
        await self._eph.index_add(AWAY_INDEX, staff_id, now_ms(), self.ttl_s)
        return True

    async def console_sockets(self, staff_id: str) -> list[tuple[str, str]]:
        """(node, sid) of each console socket of ``staff_id`` (node "" for a socket an
        older release recorded)."""
        out = []
        for member, _ in await self._eph.index_members(SOCKETS_INDEX + staff_id):
            node, _sep, sid = member.rpartition("/")
            out.append((node, sid))
        return out

    async def session_socket_opened(self, session_ref: str, sid: str) -> None:
        """Console socket ``sid`` was opened with the staff session ``session_ref``."""
        await self._eph.index_add(SESSION_SOCKETS_INDEX + session_ref, sid, now_ms(), self.ttl_s)

    async def session_socket_closed(self, session_ref: str, sid: str) -> None:
        """Console socket ``sid`` of the staff session ``session_ref`` closed."""
        await self._eph.index_remove(SESSION_SOCKETS_INDEX + session_ref, sid)

    async def session_sockets(self, session_ref: str) -> list[str]:
        """The Socket.IO ids of the console sockets of one staff session, on any process."""
        return [m for m, _ in await self._eph.index_members(SESSION_SOCKETS_INDEX + session_ref)]

    async def away(self) -> list[tuple[str, Millis]]:
        """(staff id, away since) of staff with no console socket left."""
        return [(m, int(s)) for m, s in await self._eph.index_members(AWAY_INDEX)]

    async def claim_away(self, staff_id: str) -> bool:
        """Take ``staff_id`` out of the away index; True for the one caller (on any
        process) that did, so only it handles their drop."""
        return await self._eph.index_remove(AWAY_INDEX, staff_id)

    # --- processes --------------------------------------------------------------------
    async def heartbeat(self, ttl_s: int) -> None:
        """This process is alive for the next ``ttl_s`` seconds."""
        await self._eph.put(NODE, self.node_id, {"at": int(time.time())}, ttl_s)

    async def nodes_alive(self, nodes: set[str]) -> set[str]:
        """Those of ``nodes`` whose heartbeat has not expired."""
        ordered = sorted(nodes)
        found = await self._eph.get_many([(NODE, n) for n in ordered]) if ordered else []
        return {n for n, raw in zip(ordered, found, strict=True) if raw is not None}

    # --- operators' places (capacity) -------------------------------------------------
    async def places_of(self, staff_id: str) -> Places:
        """The chats ``staff_id`` holds a place for (empty when none)."""
        raw = await self._eph.get(PLACES, staff_id)
        return Places.decoder(staff_id)(raw) if raw is not None else Places(staff_id)

    async def _change_places(
        self, staff_id: str, fn: Callable[[Places], Places | None]
    ) -> tuple[Places, Places] | None:
        # The record exists from the first place on (``add`` creates it only if absent).
        await self._eph.add(PLACES, staff_id, Places(staff_id).to_record(), self.ttl_s)
        return await self._cas(PLACES, staff_id, Places.decoder(staff_id), fn, self.ttl_s)

    async def give_back_place(self, staff_id: str | None, conversation_id: str) -> None:
        """``staff_id`` no longer has ``conversation_id`` (ended, back in the queue,
        transferred, or never given after all)."""
        if not staff_id:
            return

        def give_back(p: Places) -> Places | None:
            if conversation_id not in p.chats:
                return None
            return Places(p.staff_id, {c: t for c, t in p.chats.items() if c != conversation_id}, p.version)

        await self._change_places(staff_id, give_back)

    # --- blocks and counters ----------------------------------------------------------
    async def block(self, address_key: str, ttl_s: int) -> None:
        """Refuse new chats from this rate-limit key for ``ttl_s`` seconds."""
        await self._eph.put(BLOCKED, address_key, {"at": now_ms()}, ttl_s)

    async def is_blocked(self, address_key: str) -> bool:
        """Whether this rate-limit key is blocked (never for the empty key)."""
        return bool(address_key) and await self._eph.get(BLOCKED, address_key) is not None

    async def first_time(self, name: str, ttl_s: int) -> bool:
        """True for the first call with ``name`` within ``ttl_s`` on any process (an
        atomic counter: one urgent alert per chat, one follow-up request a while)."""
        return await self._eph.incr(name, ttl_s) == 1

    async def count(self, name: str, ttl_s: int, amount: int = 1) -> int:
        """Add ``amount`` to a counter that expires ``ttl_s`` after it was created."""
        return await self._eph.incr(name, ttl_s, amount)
