"""A Socket.IO server that refuses what our protocol never uses, before it costs anything.

python-socketio accepts, below the namespaces, things a client of this protocol never
needs and an attacker can abuse:

* binary events and acks (``5``/``6`` packets and binary frames). The protocol has no
  binary payloads (no uploads, by design); a binary packet announcing billions of
  attachments would otherwise make the server keep every following frame in memory.
* acks sent by clients: the server never asks a client for one.
* events whose name is not a string, or a reserved name (``connect``, ``disconnect``):
  such an event would otherwise reach a namespace's connect handler with a
  client-made "environ", or crash the dispatcher so the client never gets an ack.
* events for a namespace the client has not joined (or before connecting).
* undecodable packets (bad JSON, bad ids), which would otherwise each log a traceback
  (a log flood).

Malformed events are renamed to ``""`` so the namespace answers them with the standard
``invalid`` ack; anything else here closes that one client's connection. Nothing of a
packet is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import socketio
from aiohttp import web
from aiohttp.typedefs import Middleware
from socketio import packet

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error"})
_TEXT_TYPES = frozenset(str(t) for t in (packet.CONNECT, packet.DISCONNECT, packet.EVENT))


class HardenedServer(socketio.AsyncServer):  # type: ignore[misc]
    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if not isinstance(data, str) or data[:1] not in _TEXT_TYPES:
            # Binary frames, binary packets, client acks, CONNECT_ERROR, unknown types.
            await self._drop(eio_sid, "unexpected packet type")
            return
        try:
            await super()._handle_eio_message(eio_sid, data)
        except ValueError:  # includes JSON decode errors
            await self._drop(eio_sid, "undecodable packet")

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: int | None, data: Any) -> None:
        ns = namespace or "/"
        if self.manager.sid_from_eio_sid(eio_sid, ns) is None:
            # An event before connecting, or for a namespace it never joined or was
            # refused from (the library would log a warning naming the client-chosen
            # namespace, once per packet). Events racing a connect or disconnect that
            # is under way still go to the library, which ignores them.
            await self._drop(eio_sid, "event outside a connected namespace")
            return
        if not (isinstance(data, list) and data and isinstance(data[0], str)) or data[0] in RESERVED_EVENTS:
            # The namespace refuses "" with an `invalid` ack, in the connection's locale.
            data = [""]
        await super()._handle_event(eio_sid, namespace, id, data)

    async def _drop(self, eio_sid: str, why: str) -> None:
        log.info("closing a connection that sent an %s", why)
        self._binary_packet.pop(eio_sid, None)
        socket = self.eio.sockets.get(eio_sid)
        if socket is None:
            return
        # wait=False: on long-polling nobody may ever fetch the close packet, and
        # waiting for that (as eio.disconnect does) would hang the request that
        # carried the bad packet.
        await socket.close(wait=False, reason=self.eio.reason.SERVER_DISCONNECT)
        # Wake a websocket's writer after the close packet so it closes the websocket
        # now (a client that ignores the close packet cannot keep it open).
        socket.queue.put_nowait(None)
        self.eio.sockets.pop(eio_sid, None)


def polling_body_limit(max_bytes: int) -> Middleware:
    """Refuse an oversized long-polling POST before Engine.IO reads it.

    python-engineio answers an oversized body by closing the session and then waits
    for the session's queue to drain before it answers the POST; the session is gone by
    then, so the request would hang for as long as the client keeps it open. Refusing
    it here answers at once and leaves the session alone.
    """

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and request.path.startswith("/socket.io/"):
            if request.content_length is None:
                raise web.HTTPLengthRequired()
            if request.content_length > max_bytes:
                raise web.HTTPRequestEntityTooLarge(max_size=max_bytes, actual_size=request.content_length)
        return await handler(request)

    return middleware
