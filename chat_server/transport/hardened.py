"""A Socket.IO server that refuses what our protocol never uses, before it costs anything,
and keeps the order the Socket.IO v5 protocol promises.

python-socketio accepts, below the namespaces, things a client of this protocol never
needs and an attacker can abuse:

* binary events and acks (``5``/``6`` packets and binary frames). The protocol has no
  binary payloads (no uploads, by design); a binary packet announcing billions of
  attachments would otherwise make the server keep every following frame in memory.
* acks sent by clients: the server never asks a client for one.
* events whose payload is not an array starting with a string or number, or whose name
  is reserved (``connect``, ``disconnect``…): the reference parser (socket.io-parser
  ``isPayloadValid``) refuses such packets as undecodable, and here they close the
  connection too. A number as an event name is valid framing: it gets the ``invalid``
  ack like any unknown event.
* events for a namespace the client has not joined (or before connecting).
* undecodable packets (bad JSON, bad ids, JSON nested beyond the recursion limit, see
  wire_json), which would otherwise each log a traceback (a log flood).

What closes a connection logs one short line, and nothing of a packet is logged.

Order and lifetime (Socket.IO v5):

* No event reaches a namespace before its CONNECT packet: python-socketio sends CONNECT
  only after the connect handler returns, so whatever a namespace sends on connecting
  (``session``, and after a resume ``history``, ``state``, ``queue``) belongs in its
  ``after_connect(sid)``, which this server calls right after the CONNECT packet, before
  the client's next packet is read.
* A refused connection gets ``{"message": code, "data": {"code", "message"}}`` from the
  namespace (guarded.py); a namespace that does not exist gets the reference server's
  ``{"message": "Invalid namespace"}``.
* An Engine.IO connection that has joined no namespace within ``connect_timeout``
  seconds (after opening, or after leaving its last one) is closed, as socket.io's
  ``connectTimeout`` does.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiohttp import web
from aiohttp.typedefs import Middleware
from socketio import packet

from ..logging_setup import describe
from . import wire_json
from .engine import GuardedEngineIO, GuardedSocket

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# socket.io-parser's RESERVED_EVENTS: never an event name on the wire.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
_TEXT_TYPES = frozenset(str(t) for t in (packet.CONNECT, packet.DISCONNECT, packet.EVENT))
INVALID_NAMESPACE = {"message": "Invalid namespace"}


def valid_event(data: Any) -> bool:
    """socket.io-parser's rule for an EVENT payload: an array whose first element is a
    number or a string that is not a reserved event name."""
    if not isinstance(data, list) or not data:
        return False
    name = data[0]
    if isinstance(name, bool):
        return False
    return isinstance(name, int | float) or (isinstance(name, str) and name not in RESERVED_EVENTS)


class HardenedServer(socketio.AsyncServer):  # type: ignore[misc]
    def __init__(self, *args: Any, connect_timeout: float = 45.0, **kwargs: Any) -> None:
        kwargs.setdefault("json", wire_json)
        super().__init__(*args, **kwargs)
        #: Seconds an Engine.IO connection may stay without a namespace (0: forever).
        self.connect_timeout = connect_timeout
        self._join_deadlines: dict[str, asyncio.TimerHandle] = {}
        self._closing_tasks: set[asyncio.Task[None]] = set()

    def _engineio_server_class(self) -> type:
        return GuardedEngineIO

    # --- packets ---------------------------------------------------------------------
    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if not isinstance(data, str) or data[:1] not in _TEXT_TYPES:
            # Binary frames, binary packets, client acks, CONNECT_ERROR, unknown types.
            await self._drop(eio_sid, "an unexpected packet type")
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except ValueError:  # includes JSON decode errors and too deep nesting
            await self._drop(eio_sid, "an undecodable packet")

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:
        ns = namespace or "/"
        if self.manager.sid_from_eio_sid(eio_sid, ns) is None:
            # An event before connecting, or for a namespace it never joined or was
            # refused from (the library would log a warning naming the client-chosen
            # namespace, once per packet). Events racing a connect or disconnect that
            # is under way still go to the library, which ignores them.
            await self._drop(eio_sid, "an event outside a connected namespace")
            return
        if not valid_event(data):
            await self._drop(eio_sid, "a malformed event packet")
            return
        if not isinstance(data[0], str):
            # A number is a valid name on the wire but never ours: the namespace
            # refuses "" with an `invalid` ack, in the connection's locale.
            data = ["", *data[1:]]
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _drop(self, eio_sid: str, why: str) -> None:
        self._binary_packet.pop(eio_sid, None)
        socket = self.eio.sockets.get(eio_sid)
        if isinstance(socket, GuardedSocket):
            await socket.refuse(f"it sent {why}")

    # --- connecting --------------------------------------------------------------------
    async def _handle_connect(self, eio_sid: str, namespace: str | None, data: Any) -> None:
        namespace = namespace or "/"
        handler = self.namespace_handlers.get(namespace)
        if handler is None and namespace not in self.handlers:
            await self._send_packet(
                eio_sid, self.packet_class(packet.CONNECT_ERROR, data=INVALID_NAMESPACE, namespace=namespace)
            )
            return
        if self.manager.sid_from_eio_sid(eio_sid, namespace) is not None:
            # Already connected (or connecting) to it: python-socketio would answer a
            # bare string; refuse in the contract's shape instead.
            refusal = getattr(handler, "connect_error", None)
            data = refusal(None, "invalid") if refusal else {"message": "invalid"}
            await self._send_packet(eio_sid, self.packet_class(packet.CONNECT_ERROR, data=data, namespace=namespace))
            return
        await super()._handle_connect(eio_sid, namespace, data)
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        if sid is None or not self.manager.is_connected(sid, namespace):
            return  # refused
        self._cancel_join_deadline(eio_sid)
        greet = getattr(handler, "after_connect", None)
        if greet is None:
            return
        try:
            await greet(sid)
        except Exception as exc:  # noqa: BLE001 - a client without its greeting must retry
            # Typically the store is restarting. The client reconnects after a server
            # disconnect (widget and console both do) and is greeted then.
            log.warning("greeting a connection on %s failed (%s); disconnecting it", namespace, describe(exc))
            await self.disconnect(sid, namespace=namespace)

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        await super()._handle_eio_connect(eio_sid, environ)
        self._arm_join_deadline(eio_sid)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        self._cancel_join_deadline(eio_sid)
        await super()._handle_eio_disconnect(eio_sid, reason)

    async def _handle_disconnect(self, eio_sid: str, namespace: str | None, reason: Any = None) -> None:
        await super()._handle_disconnect(eio_sid, namespace, reason)
        self._rearm_if_idle(eio_sid)

    async def disconnect(self, sid: str, namespace: str | None = None, ignore_queue: bool = False) -> None:
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        await super().disconnect(sid, namespace=namespace, ignore_queue=ignore_queue)
        if eio_sid is not None:
            self._rearm_if_idle(eio_sid)

    # --- the join deadline -------------------------------------------------------------
    def _joined_any(self, eio_sid: str) -> bool:
        return any(self.manager.sid_from_eio_sid(eio_sid, ns) for ns in list(self.manager.get_namespaces()))

    def _arm_join_deadline(self, eio_sid: str) -> None:
        if self.connect_timeout <= 0:
            return
        self._cancel_join_deadline(eio_sid)
        loop = asyncio.get_running_loop()
        self._join_deadlines[eio_sid] = loop.call_later(self.connect_timeout, self._join_deadline_passed, eio_sid)

    def _cancel_join_deadline(self, eio_sid: str) -> None:
        handle = self._join_deadlines.pop(eio_sid, None)
        if handle is not None:
            handle.cancel()

    def _rearm_if_idle(self, eio_sid: str) -> None:
        socket = self.eio.sockets.get(eio_sid)
        if socket is not None and not (socket.closing or socket.closed) and not self._joined_any(eio_sid):
            self._arm_join_deadline(eio_sid)

    def _join_deadline_passed(self, eio_sid: str) -> None:
        self._join_deadlines.pop(eio_sid, None)
        socket = self.eio.sockets.get(eio_sid)
        if not isinstance(socket, GuardedSocket) or self._joined_any(eio_sid):
            return
        task = asyncio.ensure_future(socket.refuse(f"no namespace joined within {self.connect_timeout:g} s"))
        self._closing_tasks.add(task)
        task.add_done_callback(self._closing_tasks.discard)


def engineio_requests(max_bytes: int, path: str = "/socket.io/") -> Middleware:
    """Answer malformed Engine.IO HTTP requests at once, before Engine.IO reads them.

    * A long-polling POST without a Content-Length (411) or over ``max_bytes`` (413).
      python-engineio answers an oversized body by closing the session and then waits
      for the session's queue to drain before it answers the POST; the session is gone
      by then, so the request would hang for as long as the client keeps it open.
      Refusing it here answers at once and leaves the session alone.
    * A request without the mandatory ``transport`` query parameter (python-engineio
      assumes polling) or with a method Engine.IO does not use: 400, as the protocol and
      its test suite expect (aiohttp would answer 405).
    """
    methods = frozenset({"GET", "POST", "OPTIONS"})

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == path:
            if request.method not in methods or (request.method != "OPTIONS" and "transport" not in request.query):
                raise web.HTTPBadRequest(text='"Bad request"')
            if request.method == "POST":
                if request.content_length is None:
                    log.info("refused a long-polling POST without a Content-Length")
                    raise web.HTTPLengthRequired()
                if request.content_length > max_bytes:
                    log.info("refused a long-polling POST of %d bytes", request.content_length)
                    raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=request.content_length)
        return await handler(request)

    return middleware
