"""Emitting to this process's clients without a task per recipient.

python-socketio's ``AsyncManager.emit`` encodes a packet once and then starts one
asyncio task per recipient and waits for all of them with ``asyncio.wait``. Sending
to a client only appends the packet to that client's Engine.IO queue (an unbounded
``asyncio.Queue``: ``put`` never waits), so the tasks buy no concurrency, and creating,
scheduling and collecting them costs more than the rest of a chat message's relay
(docs/performance.md). Here the packets are put on the queues directly, one recipient
after another; what reaches each client, and in which order, is unchanged. Emits that
ask for a callback keep the library's path.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet


class DirectEmitManager(socketio.AsyncManager):  # type: ignore[misc]  # untyped library
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        recipients = self.local_recipients(namespace, room, skip_sid)
        if recipients:
            await self.send_encoded(recipients, self.encode_event(event, data, namespace))

    def encode_event(self, event: str, data: Any, namespace: str) -> list[Any]:
        """The Socket.IO packet(s) of an event, encoded once for every recipient. The
        same shapes as the library: a tuple is several arguments, None is none."""
        if isinstance(data, tuple):
            args = list(data)
        elif data is not None:
            args = [data]
        else:
            args = []
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        return encoded if isinstance(encoded, list) else [encoded]

    def local_recipients(self, namespace: str, room: Any, skip_sid: Any) -> list[str]:
        """Engine.IO ids of this process's clients in ``room``."""
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        return [eio_sid for sid, eio_sid in self.get_participants(namespace, room) if sid not in skip]

    async def send_encoded(self, recipients: list[str], encoded: list[Any]) -> None:
        frames = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in encoded]
        send = self.server.eio.send_packet
        for eio_sid in recipients:
            for frame in frames:
                await send(eio_sid, frame)
