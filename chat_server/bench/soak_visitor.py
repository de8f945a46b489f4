"""A visitor connection in the soak: one ``/visitor`` socket (raw Engine.IO/Socket.IO,
every event in arrival order) recording what it receives into the conversation's
current VisitorConn, and the ways to cut it without a goodbye."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp

from .eio import RawSocket
from .soak_records import Seen, VisitorConn
from .soak_world import Live, World

# A follow-up code (docs/protocol.md "Follow-up codes"): 4 groups of 4 Crockford symbols.
FOLLOWUP_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$")


def cards_in(item: Any) -> list[list[str]]:
    """Card id lists anywhere in a history item (whatever shape the server gives the
    referral entries it replays)."""
    found: list[list[str]] = []
    if isinstance(item, dict):
        cards = item.get("cards")
        if isinstance(cards, list) and all(isinstance(c, dict) for c in cards):
            found.append([str(c.get("id")) for c in cards])
        for value in item.values():
            if isinstance(value, dict | list):
                found += cards_in(value)
    elif isinstance(item, list):
        for value in item:
            found += cards_in(value)
    return found


def codes_in(item: Any) -> list[str]:
    """Follow-up codes anywhere in a history item."""
    if isinstance(item, str):
        return [item] if FOLLOWUP_CODE.match(item) else []
    if isinstance(item, dict):
        return [c for v in item.values() for c in codes_in(v)]
    if isinstance(item, list):
        return [c for v in item for c in codes_in(v)]
    return []


class VisitorLink:
    """One visitor socket; records what it receives into the current VisitorConn."""

    def __init__(self, world: World, http: aiohttp.ClientSession, process: int, live: Live) -> None:
        self.world = world
        self.http = http
        self.process = process
        self.live = live
        self.conn: VisitorConn | None = None
        self.sock: RawSocket | None = None
        self.session: dict[str, Any] | None = None

    async def open(self, conn: VisitorConn, resume: str | None) -> dict[str, Any]:
        """Connect (with ``auth={"resume": token}`` when given) and wait for ``session``."""
        self.conn = conn
        self.sock = RawSocket(
            self.http, self.world.urls[self.process], "/visitor", on_event=self.on_event, deliver_first=True
        )
        await self.sock.connect(auth={"resume": resume} if resume else None)
        if not await self.live.until(lambda: self.session is not None, 30):
            raise TimeoutError("no session event")
        assert self.session is not None
        return self.session

    async def call(self, event: str, data: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        assert self.sock is not None
        try:
            ack: dict[str, Any] = await self.sock.call(event, data, timeout)
        except (TimeoutError, ConnectionError):
            ack = {"ok": False, "error": {"code": "no_ack"}}
        if not ack.get("ok"):
            self.world.refused_event(f"visitor {event}", ack)
        return ack

    async def send_unacked(self, event: str, data: dict[str, Any]) -> None:
        """Write an event to the socket without waiting for its ack (the connection is
        about to be cut: the server may or may not get to it)."""
        assert self.sock is not None
        await self.sock.send(event, data, lambda _payload: None)

    def on_event(self, event: str, data: Any, raw: str) -> None:
        t = self.world.now()
        c = self.conn
        if c is None or not isinstance(data, dict):
            return
        if event == "session":
            self.session = data
            c.session_conversation = (data.get("conversation") or {}).get("id")
        elif event == "history":
            c.histories += 1
            items = data.get("messages") or []
            if c.history is None:
                c.history = [Seen.of(m, t) for m in items]
                c.t_history = t
                c.live_before_history = len(c.live)
                for item in items:
                    c.history_referrals += cards_in(item)
                    c.followup_codes += [(t, code) for code in codes_in(item)]
        elif event == "message":
            c.live.append(Seen.of(data, t))
        elif event == "state":
            c.states.append((t, str(data.get("state"))))
        elif event == "ended":
            c.ended.append((t, str(data.get("reason"))))
        elif event == "referral":
            c.referrals.append((t, [str(card.get("id")) for card in data.get("cards") or [] if isinstance(card, dict)]))
        elif event == "followup_code":
            c.followup_codes.append((t, str(data.get("code"))))
        elif event == "typing":
            c.typing.append((t, bool(data.get("active"))))
        self.live.poke()

    def cut(self, kind: str) -> None:
        """Cut the connection without a goodbye: ``abort`` (TCP closed, no close frame),
        ``silent`` (the network vanishes; the server notices by its ping timeout) or
        ``close`` (a WebSocket close frame, but no Socket.IO DISCONNECT)."""
        sock = self.sock
        if sock is None:
            return
        if kind == "abort":
            sock.abort()
        elif kind == "silent":
            sock.go_silent()
            # The server closes it after its ping timeout; free it well after that.
            self.world.spawn(_close_later(sock, 60.0))
        else:
            sock.go_silent()
            self.world.spawn(sock.close())
        self.sock = None
        self.session = None

    async def close(self) -> None:
        if self.sock is not None:
            await self.sock.close()
            self.sock = None


async def _close_later(sock: RawSocket, delay: float) -> None:
    await asyncio.sleep(delay)
    await sock.close()
