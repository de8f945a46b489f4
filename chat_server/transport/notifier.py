"""Socket.IO implementation of ``services.events.Events``: the one place that turns a
service's choice of recipients into rooms. With the Redis client manager the rooms span
every process, so a visitor on one node and an operator on another still meet."""

from __future__ import annotations

import socketio

from ..services.events import Payload

VISITOR_NS = "/visitor"
OPERATOR_NS = "/operator"


def visitor_room(conversation_id: str) -> str:
    return "v:" + conversation_id


def staff_room(staff_id: str) -> str:
    return "st:" + staff_id


def queue_watchers_room(centre: str) -> str:
    """The room of those watching ``centre``'s queue (issue 19: one per centre, so a
    snapshot reaches that centre's staff only)."""
    return "qw:" + centre


#: Rooms with a Redis channel of their own in scale-out mode (transport/redis_fanout.py):
#: one conversation's visitor, one staff member, one centre's queue watchers. Few
#: processes have members in any one of them, so a process hears only the rooms its own
#: clients are in: a queue event of one centre is one publish, received by the
#: processes that hold a watcher of that centre, whatever the number of centres.
CHANNEL_ROOM_PREFIXES = ("v:", "st:", "qw:")


class SocketEvents:
    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def to_visitor(self, conversation_id: str, event: str, payload: Payload) -> None:
        await self.sio.emit(event, payload, room=visitor_room(conversation_id), namespace=VISITOR_NS)

    async def to_staff(self, staff_id: str, event: str, payload: Payload) -> None:
        await self.sio.emit(event, payload, room=staff_room(staff_id), namespace=OPERATOR_NS)

    async def to_queue_watchers(self, centre: str, event: str, payload: Payload) -> None:
        await self.sio.emit(event, payload, room=queue_watchers_room(centre), namespace=OPERATOR_NS)

    async def end_staff_socket(self, sid: str, event: str, payload: Payload) -> None:
        # A socket of another process: the emit and the disconnect both travel on the
        # (sealed) shared channel of the Redis manager, in this order, and that process
        # sends the event before the DISCONNECT packet.
        await self.sio.emit(event, payload, to=sid, namespace=OPERATOR_NS)
        await self.sio.disconnect(sid, namespace=OPERATOR_NS)
