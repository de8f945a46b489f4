"""The Engine.IO layer, held to the Engine.IO v4 protocol where python-engineio is not.

python-engineio (4.15) deviates from the protocol in ways that lose data or let one
client cost the server more than its own connection:

* A long-polling POST with more than 16 packets is refused by ``Payload.decode``
  (``max_decode_packets``), and the server still answers ``200 OK``: every packet in it
  is lost while the client believes it was delivered. socket.io-client puts every
  waiting packet into one POST, limited only by ``maxPayload``. Here a POST carries as
  many packets as fit in ``max_http_buffer_size`` (64 KiB): the bound on the work a
  POST causes is its size, as for a websocket, where nothing limits the packet count.
* An undecodable packet (a POST body or websocket frame ``abc``) logged a traceback
  and kept the session (POST) or escaped the websocket loop (frame). Here it closes
  that session with one short log line; a POST answers 400.
* Two long-polling GETs (or POSTs) at once on one session must close the session, and
  a second websocket for a session must be closed (protocol: "Transports");
  python-engineio served both GETs, so the older one hung until its timeout, and took a
  second websocket during an upgrade for the upgrade, waiting on it forever.
* A client's ``close`` packet over long-polling left the waiting GET hanging until the
  ping timeout instead of ending it with a ``noop``; a GET after the ping timeout still
  got the stale ``ping`` instead of 400.
* A successful POST answers ``ok`` (protocol: "Sending data"), not ``OK``; a ping
  interval under a second (or not whole) is announced as it is, not truncated.

And one cost that grew with every connection held: the service task that closes
clients which stopped answering pings visited one socket at a time and, between two,
waited ``ping_timeout / sockets`` with ``asyncio.wait_for``, a task, a future and a
timer per visit: with 20,000 idle visitors 1,000 tasks a second just to compare
timestamps (docs/performance.md, "Idle scale"). Here a pass every quarter of
``ping_timeout`` compares every socket's ``last_ping`` with the clock synchronously;
only a socket that timed out costs an await (its close, by the library's own check).

Each session's socket becomes a :class:`GuardedSocket` when python-engineio announces
the session (the ``connect`` event), before any request of the session can reach it.
The overridden methods are private to python-engineio; tests/unit/test_library_seams.py
checks their signatures and the installed version, so an upgrade that moves them fails
the build instead of silently dropping these guards.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from typing import Any

import engineio
from aiohttp import web
from engineio import async_socket, exceptions, packet

log = logging.getLogger(__name__)

SEPARATOR = "\x1e"
#: Heartbeat watchdog passes per ``ping_timeout``: a client that stopped answering is
#: closed at most ``ping_timeout / WATCHDOG_PASSES`` late (python-engineio's own cycle
#: took up to a whole ``ping_timeout``).
WATCHDOG_PASSES = 4
# Packet types a client may send in a long-polling POST (protocol: "Packets"). A
# client never sends open or ping, and upgrade only on the websocket being probed.
_POST_TYPES = frozenset("1346")
# ... and as a websocket text frame (ping and upgrade are the probe handshake).
_FRAME_TYPES = frozenset("123456")


class UndecodablePayload(ValueError):
    """A POST body or websocket frame that is not Engine.IO v4."""


def decode_payload(body: bytes) -> list[Any]:
    """The packets of a long-polling POST body (UTF-8, packets separated by 0x1E).

    Text packets keep their data as a string (python-engineio would JSON-decode it);
    ``b<base64>`` is a binary message. Raises :class:`UndecodablePayload`.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise UndecodablePayload("not UTF-8") from None
    packets = []
    for encoded in text.split(SEPARATOR):
        kind = encoded[:1]
        if kind == "b":
            try:
                data = base64.b64decode(encoded[1:], validate=True)
            except binascii.Error:
                raise UndecodablePayload("bad base64") from None
            packets.append(packet.Packet(packet.MESSAGE, data))
        elif kind in _POST_TYPES:
            packets.append(packet.Packet(int(kind), encoded[1:] or None))
        else:
            raise UndecodablePayload("unknown packet type")
    return packets


def _wants_websocket(headers: Any) -> bool:
    """Whether a request asks for a websocket; ``headers`` is a WSGI environ or the
    request's headers."""
    connection = headers.get("HTTP_CONNECTION", headers.get("Connection", ""))
    upgrade = headers.get("HTTP_UPGRADE", headers.get("Upgrade", ""))
    return "upgrade" in [s.strip() for s in connection.lower().split(",")] and upgrade.lower() == "websocket"


class GuardedSocket(async_socket.AsyncSocket):  # type: ignore[misc]  # untyped library
    """One Engine.IO session (see the module docstring for what changes)."""

    _polling = False  # a long-polling GET is waiting for packets
    _posting = False  # a long-polling POST is being processed
    _upgrade_seen: asyncio.Event | None = None

    async def refuse(self, why: str) -> None:
        """Close this session now, because of ``why`` (one log line, no content).

        A ``close`` packet is queued for a waiting long-poll, and the websocket writer is
        woken after it so that the websocket closes even if the client ignores it.
        """
        if self.closing or self.closed:
            return
        log.info("closing an Engine.IO session: %s", why)
        await self.close(wait=False, abort=False, reason=self.server.reason.SERVER_DISCONNECT)
        self.queue.put_nowait(None)

    async def handle_get_request(self, environ: dict[str, Any]) -> Any:
        if _wants_websocket(environ):
            return await super().handle_get_request(environ)
        if self._polling:
            await self.refuse("a second long-polling GET at once")
            raise exceptions.QueueEmpty()  # -> 400
        if not await self.check_ping_timeout():
            raise exceptions.QueueEmpty()  # it did not answer the last ping in time -> 400
        if self.upgrading and await self._upgraded_soon():
            # The websocket's upgrade packet was on its way: after an upgrade, HTTP
            # requests are refused (as python-engineio does once it has read it).
            return self.server._bad_request("Unexpected HTTP request")
        self._polling = True
        try:
            return await super().handle_get_request(environ)
        finally:
            self._polling = False

    def _upgrade_frame(self) -> asyncio.Event:
        """Set when the websocket being upgraded to delivers its ``upgrade`` packet."""
        if self._upgrade_seen is None:
            self._upgrade_seen = asyncio.Event()
        return self._upgrade_seen

    async def _upgraded_soon(self, seconds: float = 0.1) -> bool:
        """Whether an upgrade under way completes within ``seconds`` (a poll during an
        upgrade, which clients do not send, waits that long, as the reference server's
        noop timer does). python-engineio marks the socket upgraded right after reading
        the packet, before the waiting task resumes."""
        try:
            await asyncio.wait_for(self._upgrade_frame().wait(), seconds)
        except TimeoutError:
            pass
        return bool(self.upgraded)

    async def handle_post_request(self, environ: dict[str, Any]) -> None:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.server.max_http_buffer_size:
            raise exceptions.ContentTooLongError()
        if self._posting:
            await self.refuse("a second long-polling POST at once")
            raise exceptions.UnknownPacketError()  # -> 400
        self._posting = True
        try:
            body = await environ["wsgi.input"].read(length)
            try:
                packets = decode_payload(body)
            except UndecodablePayload as exc:
                await self.refuse(f"undecodable long-polling payload ({exc})")
                raise exceptions.UnknownPacketError() from None  # -> 400
            for pkt in packets:
                if self.closing or self.closed:
                    break  # closed by an earlier packet of this payload
                if pkt.packet_type != packet.NOOP:
                    await self.receive(pkt)
        finally:
            self._posting = False

    async def receive(self, pkt: Any) -> None:
        if pkt.packet_type == packet.CLOSE and not self.upgraded:
            # End a waiting long-poll now (the library closes without waking it).
            self.queue.put_nowait(packet.Packet(packet.NOOP))
        await super().receive(pkt)

    async def _websocket_handler(self, ws: Any) -> Any:
        return await super()._websocket_handler(_FrameGuard(ws, self))


class _FrameGuard:
    """The websocket as python-engineio's loop sees it: an undecodable text frame ends
    the loop (as a closed websocket does) after closing the session, instead of raising
    out of it; so does any frame after the session was closed."""

    def __init__(self, ws: Any, socket: GuardedSocket) -> None:
        self.ws = ws
        self.socket = socket

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ws, name)

    async def send(self, message: Any) -> None:
        if message == "6":
            # A noop only ends a long-poll during the upgrade; python-engineio queues
            # one then and, when the poll it was meant for took a fresh one instead,
            # sends the queued one over the new websocket.
            return
        await self.ws.send(message)

    async def close(self) -> None:
        await self.ws.close()

    async def wait(self) -> Any:
        if self.socket.closing or self.socket.closed:
            return None
        data = await self.ws.wait()
        if isinstance(data, str) and data[:1] not in _FRAME_TYPES:
            await self.socket.refuse("an undecodable websocket frame")
            return None
        if data == "5" and self.socket.upgrading:
            self.socket._upgrade_frame().set()
        return data


class GuardedEngineIO(engineio.AsyncServer):  # type: ignore[misc]  # untyped library
    """python-engineio's server with :class:`GuardedSocket` sessions (aiohttp mode)."""

    async def handle_request(self, request: web.Request) -> Any:
        sid = request.query.get("sid")
        socket = self.sockets.get(sid) if sid else None
        if socket is not None and (socket.upgrading or socket.upgraded) and _wants_websocket(request.headers):
            # A second websocket for a session: the protocol says close it (python-
            # engineio would refuse its handshake with 400, or, during the upgrade,
            # take it for the upgrade and wait on it forever).
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await ws.close()
            return ws
        return await super().handle_request(request)

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        if event == "connect":
            # Announced right after the session is created and before any of its
            # requests is handled (for a websocket, before its first frame is read).
            socket = self.sockets.get(args[0])
            if socket is not None and type(socket) is async_socket.AsyncSocket:
                socket.__class__ = GuardedSocket
                self._announce_exact_ping_interval(socket)
        return await super()._trigger_event(event, *args, **kwargs)

    def _announce_exact_ping_interval(self, socket: GuardedSocket) -> None:
        """python-engineio announces ``int(interval) * 1000`` ms, so an interval of
        0.3 s is announced as 0 (and 2.5 s as 2000); announce what the server does. The
        open packet is the only one queued when the session is announced."""
        if socket.queue.qsize() != 1:
            return
        pkt = socket.queue.get_nowait()
        socket.queue.task_done()
        if pkt.packet_type == packet.OPEN and isinstance(pkt.data, dict):
            pkt.data["pingInterval"] = round((self.ping_interval + self.ping_interval_grace_period) * 1000)
            pkt.encode_cache = None
        socket.queue.put_nowait(pkt)

    async def _service_task(self) -> None:
        """The heartbeat watchdog (see the module docstring); stops on shutdown."""
        self.service_task_event = self.create_event()
        while not self.service_task_event.is_set():
            try:
                await asyncio.wait_for(
                    self.service_task_event.wait(), timeout=max(0.5, self.ping_timeout / WATCHDOG_PASSES)
                )
                break  # shutdown
            except TimeoutError:
                pass
            try:
                await self.check_heartbeats(time.time())
            except asyncio.CancelledError:
                break
            except Exception as exc:  # noqa: BLE001 - the watchdog must keep running
                log.error("heartbeat watchdog pass failed (%s)", type(exc).__name__)

    async def check_heartbeats(self, now: float) -> int:
        """Close the sockets whose last ping went unanswered for longer than
        ``ping_timeout`` seconds and forget closed ones. Returns how many were closed."""
        closed = 0
        timeout = self.ping_timeout
        for sid, socket in list(self.sockets.items()):
            if socket.closed:
                self.sockets.pop(sid, None)
            elif not socket.closing and socket.last_ping and now - socket.last_ping > timeout:
                await socket.check_ping_timeout()  # logs, closes with reason PING_TIMEOUT
                closed += 1
        return closed

    def _ok(self, packets: Any = None, headers: Any = None, jsonp_index: Any = None) -> dict[str, Any]:
        response: dict[str, Any] = super()._ok(packets, headers, jsonp_index)
        if packets is None:
            response["response"] = b"ok"  # protocol: "Sending data"
        return response
