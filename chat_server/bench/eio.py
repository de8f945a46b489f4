"""A deliberately small Engine.IO v4 / Socket.IO v5 client over aiohttp WebSockets.

python-socketio's AsyncClient costs far more CPU and memory per connection than the
server work we want to measure, so the load generator speaks the framing itself:

* Engine.IO: ``0{...}`` open, ``2`` ping -> answer ``3`` pong, ``4…`` message.
* Socket.IO inside an Engine.IO message: ``0/ns,{auth}`` connect, ``2/ns,[event, data]``
  event, ``2/ns,ID[event, data]`` event wanting an ack, ``3/ns,ID[data]`` ack,
  ``4/ns,{error}`` connect refused.

Only what the benchmark needs: one namespace per socket, text frames, no long-polling.
For the soak (``deliver_first``) every event reaches the handler in arrival order, the
first one too, and a connection can be cut without any goodbye: ``abort`` drops the TCP
connection (no WebSocket close frame, no Socket.IO DISCONNECT), ``go_silent`` stops
reading and answering pings, so the server finds out only by its ping timeout.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp

# May return an awaitable (e.g. the next send), which the socket's reader awaits.
EventHandler = Callable[[str, Any, str], Any]
AckHandler = Callable[[Any], None]


class ConnectRefused(Exception):
    """The namespace refused the connection (``4/ns,{...}``)."""


class RawSocket:
    """One WebSocket, one namespace. ``on_event(event, data, raw)`` gets server events;
    for cheap counting ``raw`` is the frame text (``data`` is None when ``parse`` is
    False)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        namespace: str,
        headers: dict[str, str] | None = None,
        on_event: EventHandler | None = None,
        parse: bool = True,
        deliver_first: bool = False,
        on_lost: Callable[[], None] | None = None,
    ) -> None:
        self.http = http
        self.url = base_url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ns = namespace
        self.headers = headers or {}
        self.on_event = on_event
        self.parse = parse
        # True: the first event (``session``, or a live message that raced it after a
        # resume) also goes to ``on_event``, so the handler sees every event in order.
        self.deliver_first = deliver_first
        # Called once when the connection ends other than by abort() or close(): the
        # server disconnected the namespace (a DISCONNECT packet) or closed the socket.
        self.on_lost = on_lost
        self._ending = False
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._event_prefix = f"42{namespace},"
        self._ack_prefix = f"43{namespace},"
        # A future (call/emit_nowait) or a plain callback (send: no future, no task).
        self._acks: dict[int, asyncio.Future[Any] | AckHandler] = {}
        self._next_id = 0
        self._reader: asyncio.Task[None] | None = None
        self._connected: asyncio.Future[Any] | None = None
        self.first_event: asyncio.Future[tuple[str, Any]] | None = None

    async def connect(self, auth: dict[str, Any] | None = None, timeout: float = 30) -> tuple[str, Any]:
        """Open the socket and the namespace; returns the first event (``session``)."""
        loop = asyncio.get_running_loop()
        self._connected = loop.create_future()
        self.first_event = loop.create_future()
        self.ws = await self.http.ws_connect(self.url, headers=self.headers, autoping=False, max_msg_size=0)
        opening = await asyncio.wait_for(self.ws.receive_str(), timeout)
        if not opening.startswith("0"):
            raise ConnectionError("no Engine.IO open packet")
        await self.ws.send_str(f"40{self.ns}," + (json.dumps(auth) if auth else ""))
        self._reader = asyncio.create_task(self._read())
        await asyncio.wait_for(self._connected, timeout)
        return await asyncio.wait_for(self.first_event, timeout)

    async def _read(self) -> None:
        assert self.ws is not None
        ws = self.ws
        try:
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    continue
                text: str = msg.data
                if text == "2":
                    await ws.send_str("3")
                elif text.startswith(self._event_prefix):
                    body = text[len(self._event_prefix) :]
                    if self.first_event is not None and not self.first_event.done():
                        event, data = json.loads(body)
                        self.first_event.set_result((event, data))
                        if self.deliver_first and self.on_event is not None:
                            then = self.on_event(event, data, text)
                            if then is not None:
                                await then
                    elif self.on_event is not None:
                        if self.parse:
                            event, data = json.loads(body)
                            then = self.on_event(event, data, text)
                        else:
                            then = self.on_event("", None, body)
                        if then is not None:
                            await then
                elif text.startswith(self._ack_prefix):
                    body = text[len(self._ack_prefix) :]
                    split = body.index("[")
                    waiter = self._acks.pop(int(body[:split]), None)
                    if isinstance(waiter, asyncio.Future):
                        if not waiter.done():
                            waiter.set_result(json.loads(body[split:])[0])
                    elif waiter is not None:
                        waiter(json.loads(body[split:])[0])
                elif text.startswith(f"40{self.ns},"):
                    if self._connected is not None and not self._connected.done():
                        self._connected.set_result(True)
                elif text.startswith(f"44{self.ns},"):
                    if self._connected is not None and not self._connected.done():
                        self._connected.set_exception(ConnectRefused(text[len(self.ns) + 3 :]))
                elif text.startswith(f"41{self.ns},"):
                    break  # the server disconnected this namespace
        except (aiohttp.ClientError, asyncio.CancelledError, ConnectionError):
            pass
        finally:
            connected = self._connected is not None and self._connected.done() and not self._connected.exception()
            if connected and not self._ending and self.on_lost is not None:
                self._ending = True
                self.on_lost()
            for waiter in self._acks.values():
                if isinstance(waiter, asyncio.Future):
                    if not waiter.done():
                        waiter.set_exception(ConnectionError("socket closed"))
                else:
                    waiter(None)  # never acknowledged
            self._acks.clear()
            if self._connected is not None and not self._connected.done():
                self._connected.set_exception(ConnectionError("socket closed"))

    def emit_nowait(self, event: str, data: Any) -> asyncio.Future[Any]:
        """Send an event that wants an ack; returns a future for the ack payload."""
        assert self.ws is not None
        self._next_id += 1
        ack_id = self._next_id
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._acks[ack_id] = fut
        frame = f"42{self.ns},{ack_id}" + json.dumps([event, data], separators=(",", ":"))
        asyncio.ensure_future(self._send_or_fail(frame, ack_id, fut))
        return fut

    async def _send_or_fail(self, frame: str, ack_id: int, fut: asyncio.Future[Any]) -> None:
        assert self.ws is not None
        try:
            await self.ws.send_str(frame)
        except (aiohttp.ClientError, ConnectionError) as exc:  # closing: the ack will never come
            self._acks.pop(ack_id, None)
            if not fut.done():
                fut.set_exception(ConnectionError(str(exc)))

    async def send(self, event: str, data: Any, on_ack: AckHandler) -> None:
        """Send an event wanting an ack, for load: ``on_ack(payload)`` is called with the
        ack's payload (None if the socket closes first). No future and no task per
        message, so the generator spends its CPU on the wire, not on bookkeeping."""
        assert self.ws is not None
        self._next_id += 1
        self._acks[self._next_id] = on_ack
        frame = f"42{self.ns},{self._next_id}" + json.dumps([event, data], separators=(",", ":"))
        await self.ws.send_str(frame)

    async def call(self, event: str, data: Any, timeout: float = 30) -> Any:
        return await asyncio.wait_for(self.emit_nowait(event, data), timeout)

    def abort(self) -> None:
        """Cut the connection as a lost network does: the TCP connection closes with no
        WebSocket close frame and no Socket.IO DISCONNECT packet."""
        self._ending = True
        if self._reader is not None:
            self._reader.cancel()
        conn = self.ws._conn if self.ws is not None else None  # noqa: SLF001 - no public way to abort
        if conn is not None and conn.transport is not None:
            conn.transport.abort()
            conn.close()  # hand the dead connection back to the pool's bookkeeping

    def go_silent(self) -> None:
        """Stop reading and answering pings but keep the TCP connection open (a phone
        whose network vanished): the server notices only after its ping timeout. Call
        :meth:`close` later to free the socket."""
        self._ending = True
        if self._reader is not None:
            self._reader.cancel()

    async def close(self) -> None:
        self._ending = True
        if self._reader is not None:
            self._reader.cancel()
        if self.ws is not None and not self.ws.closed:
            try:
                await self.ws.close()
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                pass
