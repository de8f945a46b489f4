"""Emitting to this process's clients without a task per recipient.

python-socketio's ``AsyncManager.emit`` encodes a packet once and then starts one
asyncio task per recipient and waits for all of them with ``asyncio.wait``. Sending
to a client only appends the packet to that client's Engine.IO queue (an unbounded
``asyncio.Queue``: ``put`` never waits), so the tasks buy no concurrency, and creating,
scheduling and collecting them costs more than the rest of a chat message's relay
(docs/performance.md). Here the packets are put on the queues directly, one recipient
after another; what reaches each client, and in which order, is unchanged. Emits that
ask for a callback keep the library's path.

A resuming client's packets pass a gate (:meth:`DirectEmitManager.hold`,
:meth:`DirectEmitManager.release`, transport/resume_gate.py): its ``history`` comes
before anything live, and a message it had there does not come live again.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from .resume_gate import Gate


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
        gates = self._gates()
        for eio_sid in recipients:
            gate = gates.get(eio_sid) if gates else None
            if gate is not None:  # a socket being resumed, or just resumed
                for p in encoded:
                    if gate.admit(p):
                        await send(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, p))
                if gate.done:
                    gates.pop(eio_sid, None)
                continue
            for frame in frames:
                await send(eio_sid, frame)

    # --- the gate of a resuming socket (transport/resume_gate.py) ------------------------
    def _gates(self) -> dict[str, Gate]:
        gates: dict[str, Gate] | None = self.__dict__.get("_resume_gates")
        if gates is None:
            gates = self.__dict__["_resume_gates"] = {}
        return gates

    def hold(self, eio_sid: str) -> None:
        """Keep whatever this process would send client ``eio_sid`` until :meth:`release`."""
        self._gates()[eio_sid] = Gate()

    async def release(self, eio_sid: str, namespace: str, first: list[tuple[str, Any]], known: set[str]) -> None:
        """Send ``first`` (events of ``namespace``) to client ``eio_sid``, then what was
        held for it but the records whose ``id`` is in ``known``; from now on it gets
        packets as they come, except live copies of ``known``. Without a hold (the
        client is gone), nothing is sent."""
        gate = self._gates().get(eio_sid)
        if gate is None:
            return
        send = self.server.eio.send_packet
        packets = [p for event, data in first for p in self.encode_event(event, data, namespace)]
        sent = frozenset(p for p in packets if isinstance(p, str))
        while packets:
            for p in packets:
                await send(eio_sid, eio_packet.Packet(eio_packet.MESSAGE, p))
            packets = gate.drain(known, sent)
        gate.open()
        if gate.done:
            self._gates().pop(eio_sid, None)

    def drop_gate(self, eio_sid: str) -> None:
        """The client disconnected: forget its gate."""
        self._gates().pop(eio_sid, None)
