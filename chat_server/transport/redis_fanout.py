"""Cross-process fan-out on Redis: python-socketio's ``AsyncRedisManager``, with a
channel per conversation room and batched publishing.

The stock manager publishes every emit on one channel that every process subscribes
to, so each process receives and decodes every message of every conversation (its own
included) only to find, mostly, that none of the recipients are its clients. With N
processes that is N decodes per emit, and it is what kept two processes from doing
more than one (docs/performance.md). Here:

* **Room channels.** Emits to a visitor's conversation room, a staff member's room or a
  centre's queue-watchers room (``notifier.CHANNEL_ROOM_PREFIXES``) are published on a channel of their own,
  ``<channel>:<namespace>:<room>``, and a process subscribes to it only while one of its
  clients is in that room. Joining a room waits until Redis has confirmed the
  subscription, so nothing published after the join (an ``accept`` on another node, a
  message) can miss this process. Channels of rooms that emptied are unsubscribed
  lazily (``CLEANUP_INTERVAL_S``), so a reconnecting client finds its room still
  subscribed. Everything else (disconnects of remote clients,
  callbacks) uses the shared channel as before. So a queue snapshot of one centre
  is one publish, heard only by the processes holding a watcher of that centre: its
  cost does not grow with the number of centres (issue 19).
* **Emits to one local client stay local.** A Socket.IO sid lives on exactly one
  process; an emit to a sid connected here is not published at all.
* **Encoded once.** A room-channel message carries the Socket.IO packet already
  encoded: the publishing process encodes an event once for its own clients and for
  Redis, and a receiving process hands the packet to its clients without decoding or
  re-encoding the payload.
* **Sealed.** Every message, room-channel packets and the library's own (emits, room
  changes, disconnects, callbacks), crosses Redis encrypted and authenticated under a
  key derived from ``CHAT_SECRET_KEY``, bound to its channel
  (``security/fanout_seal.py``): a subscriber without the key reads nothing of a
  visitor, and a forged, tampered, replayed or moved message is dropped unread.
* **Own messages are dropped before decrypting.** A process that published on a room
  channel it is subscribed to receives its message back; the sealed message starts
  with its ``host_id`` in clear (authenticated), so it is recognised without work.
* **Batched, ordered publishing.** Emits do not wait for Redis: publishes queue up and
  leave in one pipeline per round trip (``storage.redis_client.AutoPipeline``, the
  store's batching), in the order they were asked for. A backlog
  beyond ``MAX_BACKLOG`` makes emitters wait (back-pressure). When Redis is away the
  batch is logged and dropped, as the stock manager does; messages are in the store,
  and a client that reconnects gets them in its history.
* **Failover and outages.** The URL may name a Redis behind Sentinel
  (``redis+sentinel://``, storage/redis_url.py): publisher and subscriber connect to
  whichever node the sentinels call the primary. When the subscription breaks (the
  primary died, Redis restarted, the connection dropped) the listener connects again
  (every ``MAX_RETRY_S`` at most) and subscribes to every wanted channel. Whatever
  other processes published in between, and whatever this process could not publish,
  never arrives; but it is in the store. So after such a gap every client of this
  process that is in a conversation or staff room is disconnected, and resumes (the
  widget and the console reconnect within a second; the resume sends the whole
  history, each message once): nothing acknowledged goes missing from a screen.

Inside the seal, messages stay JSON (``self.json`` is the server's JSON module), never
pickle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import socketio

from ..security.fanout_seal import FanoutSeal
from ..storage.redis_client import AutoPipeline, redis_client
from .direct_emit import DirectEmitManager

log = logging.getLogger(__name__)

#: Publishes waiting beyond this make emitters wait for the next batch to leave.
MAX_BACKLOG = 10_000
#: How often channels of rooms without local members are unsubscribed.
CLEANUP_INTERVAL_S = 30.0
#: How long joining a room waits for Redis to confirm the subscription.
SUBSCRIBE_TIMEOUT_S = 5.0
#: Pauses between attempts to reconnect the subscription after Redis failed, doubling
#: from the first to the longest: a Sentinel failover takes seconds, and every moment
#: without the subscription after the new primary is up makes clients miss what
#: others publish (then they are sent to resume: _resync_clients). An attempt costs a
#: refused connection and a question to a sentinel.
FIRST_RETRY_S = 0.1
MAX_RETRY_S = 0.5
#: While the subscription cannot be restored, one error line per this many seconds.
RETRY_LOG_S = 30.0
#: At most one warning per this many seconds about messages that failed their seal.
DROP_WARNING_S = 60.0


# DirectEmitManager after the Redis manager: python-socketio's pub/sub manager hands
# every emit for this process's clients (sent here or received from Redis) to it.
class RoomChannelRedisManager(socketio.AsyncRedisManager, DirectEmitManager):  # type: ignore[misc]  # untyped library
    def __init__(
        self, url: str, channel: str, room_prefixes: tuple[str, ...], fanout_master: bytes, **kwargs: Any
    ) -> None:
        super().__init__(url, channel=channel, **kwargs)
        self.room_prefixes = room_prefixes
        # Seals what this process publishes and opens what its peers do; a message this
        # process published starts with its own prefix.
        self._seal = FanoutSeal(fanout_master, self.host_id)
        self._own_prefix = self._seal.own_prefix
        self._drops_warned_at = 0.0
        # Publishes: batched, in order, nobody waits for them (storage/redis_client.py).
        self._publisher = AutoPipeline(redis_client(url))
        # Subscriptions: the last command sent per channel ("sub"/"unsub"), commands
        # not yet confirmed by Redis, and joins waiting for a confirmation.
        self._sub_state: dict[str, str] = {}
        self._sub_pending: dict[str, int] = {}
        self._sub_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._cleanup: asyncio.Task[None] | None = None

    # connection -------------------------------------------------------------------------
    def _redis_connect(self) -> None:
        # Our client (bounded pool, retries, hiredis when installed; the primary named
        # by Sentinel for a redis+sentinel:// URL); subscription confirmations are
        # needed to know when a room's channel is live.
        self.redis = redis_client(self.redis_url)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=False)
        self.connected = True

    async def _drop_connection(self) -> None:
        """Close the broken subscription's client before connecting a new one."""
        pubsub, client = self.pubsub, self.redis
        self.pubsub = self.redis = None
        self.connected = False
        for closing in (pubsub, client):
            if closing is not None:
                with contextlib.suppress(Exception):  # it is broken already
                    await closing.aclose()

    def _room_members(self) -> set[tuple[str, str]]:
        """(namespace, sid) of this process's clients in rooms with a channel."""
        return {
            (namespace, sid)
            for namespace, rooms in list(self.rooms.items())
            for room, members in list(rooms.items())
            if self.room_channel(namespace, room) is not None
            for sid in list(members)
        }

    async def _resync_clients(self, members: set[tuple[str, str]]) -> None:
        """After a gap in the subscription: disconnect the clients that were in
        conversation or staff rooms when it broke and are still here, so each resumes
        and receives what it missed from the store (module docstring). Clients that
        joined a room during the gap waited for its subscription (``_subscribed``)."""
        present = [(namespace, sid) for namespace, sid in members if self.is_connected(sid, namespace)]
        if present:
            log.warning("fan-out subscription was interrupted: %d clients reconnect to catch up", len(present))
        for namespace, sid in present:
            try:
                await self.server.disconnect(sid, namespace=namespace)
            except Exception:  # noqa: BLE001 - gone already; the others still go
                log.warning("could not disconnect a client after the fan-out gap", exc_info=True)

    def initialize(self) -> None:
        super().initialize()
        if not self.write_only:
            self._cleanup = self.server.start_background_task(self._cleanup_loop)

    # emitting ---------------------------------------------------------------------------
    def room_channel(self, namespace: str, room: Any) -> str | None:
        if isinstance(room, str) and room.startswith(self.room_prefixes):
            return f"{self.channel}:{namespace}:{room}"
        return None

    def _message(self, event: str, encoded: str, namespace: str, room: str, skip_sid: Any) -> dict[str, Any]:
        # The Socket.IO packet travels encoded, so a receiving process neither decodes
        # the payload nor encodes it again (see _handle_emit).
        return {
            "host_id": self.host_id,
            "method": "emit",
            "event": event,
            "packet": encoded,
            "namespace": namespace,
            "room": room,
            "skip_sid": skip_sid,
            "callback": None,
        }

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        encoded = message.get("packet")
        if not isinstance(encoded, str):
            await super()._handle_emit(message)  # the library's own shape
            return
        namespace = message.get("namespace") or "/"
        if not encoded.startswith("2" if namespace == "/" else f"2{namespace},"):
            # Only an EVENT for the message's own namespace is ever published: anything
            # else on the channel was not written by a chat process (threat model, A5).
            log.warning("dropped a fan-out message that is not an event of its namespace")
            return
        if namespace in self.rooms:
            recipients = self.local_recipients(namespace, message.get("room"), message.get("skip_sid"))
            if recipients:
                await self.send_encoded(recipients, [encoded])

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        namespace = namespace or "/"
        if kwargs.get("ignore_queue") or callback is not None:
            await super().emit(
                event, data, namespace=namespace, room=room, skip_sid=skip_sid, callback=callback, **kwargs
            )
            return
        if isinstance(room, str) and self.is_connected(room, namespace):
            # A single client of this process: nobody elsewhere can have it.
            await DirectEmitManager.emit(self, event, data, namespace, room=room, skip_sid=skip_sid)
            return
        channel = self.room_channel(namespace, room)
        encoded = self.encode_event(event, data, namespace) if channel is not None else []
        if len(encoded) != 1 or not isinstance(encoded[0], str):  # binary: the library's way
            await super().emit(event, data, namespace=namespace, room=room, skip_sid=skip_sid)
            return
        recipients = self.local_recipients(namespace, room, skip_sid) if namespace in self.rooms else []
        if recipients:  # clients of this process
            await self.send_encoded(recipients, encoded)
        await self._publish(self._message(event, encoded[0], namespace, room, skip_sid), channel)

    async def _publish(self, data: Any, channel: str | None = None) -> None:
        # Every publish of this process comes through here (the library's too): sealed
        # for the channel it goes out on.
        channel = channel or self.channel
        self._publisher.send("PUBLISH", channel, self._seal.seal(channel, self.json.dumps(data)))
        if self._publisher.backlog > MAX_BACKLOG:
            await self._publisher.batch_sent()

    # rooms and subscriptions ----------------------------------------------------------------
    async def enter_room(self, sid: str, namespace: str, room: Any, eio_sid: Any = None) -> None:
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        channel = self.room_channel(namespace or "/", room)
        if channel is not None and (self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace)):
            await self._subscribed(channel)

    async def _handle_enter_room(self, message: dict[str, Any]) -> None:
        # Another process asked to put one of this process's clients in a room.
        await super()._handle_enter_room(message)
        sid, namespace = message.get("sid"), message.get("namespace") or "/"
        channel = self.room_channel(namespace, message.get("room"))
        if channel is not None and self.is_connected(sid, namespace):
            await self._subscribed(channel)

    def _wanted_channels(self) -> set[str]:
        return {
            channel
            for namespace, rooms in self.rooms.items()
            for room in list(rooms)
            if (channel := self.room_channel(namespace, room)) is not None
        }

    async def _subscribed(self, channel: str) -> None:
        """Return once Redis has confirmed that this process hears ``channel``."""
        if self._sub_state.get(channel) == "sub" and not self._sub_pending.get(channel):
            return
        waiter = asyncio.get_running_loop().create_future()
        self._sub_waiters.setdefault(channel, []).append(waiter)
        if self._sub_state.get(channel) != "sub":
            await self._command("sub", [channel])
        try:
            await asyncio.wait_for(asyncio.shield(waiter), SUBSCRIBE_TIMEOUT_S)
        except TimeoutError:
            # Redis is away: the join itself stands, and the subscription is made again
            # when the listener reconnects.
            log.warning("room subscription not confirmed within %.0f s", SUBSCRIBE_TIMEOUT_S)

    async def _command(self, kind: str, channels: list[str], *, raise_errors: bool = False) -> None:
        for channel in channels:
            self._sub_state[channel] = kind
            self._sub_pending[channel] = self._sub_pending.get(channel, 0) + 1
        try:
            if self.pubsub is None:
                raise ConnectionError("not connected")
            if kind == "sub":
                await self.pubsub.subscribe(*channels)
            else:
                await self.pubsub.unsubscribe(*channels)
        except Exception as exc:
            if raise_errors:
                raise
            # The listener notices the broken connection, reconnects and subscribes
            # to every wanted channel again.
            log.warning("cannot change room subscriptions (%s)", type(exc).__name__)

    def _confirmed(self, channel: Any) -> None:
        if isinstance(channel, bytes):
            channel = channel.decode()
        pending = self._sub_pending.get(channel, 0) - 1
        if pending > 0:
            self._sub_pending[channel] = pending
            return
        self._sub_pending.pop(channel, None)
        if self._sub_state.get(channel) == "sub":
            for waiter in self._sub_waiters.pop(channel, []):
                if not waiter.done():
                    waiter.set_result(None)
        elif self._sub_state.get(channel) == "unsub":
            self._sub_state.pop(channel, None)

    async def _cleanup_loop(self) -> None:
        while True:
            await asyncio.sleep(CLEANUP_INTERVAL_S)
            wanted = self._wanted_channels()
            idle = [
                ch
                for ch, state in self._sub_state.items()
                if state == "sub" and ch != self.channel and ch not in wanted and ch not in self._sub_waiters
            ]
            if idle:
                await self._command("unsub", idle)

    # listening ----------------------------------------------------------------------------
    async def _listen(self) -> Any:
        own = self._own_prefix
        async for message in self._listen_with_retries():
            kind = message["type"]
            if kind == "message":
                data = message["data"]
                if data.startswith(own):
                    continue
                plain = self._seal.open(message["channel"], data)
                if plain is not None:
                    yield plain
                else:
                    self._dropped()
            elif kind in ("subscribe", "unsubscribe"):
                self._confirmed(message["channel"])

    def _dropped(self) -> None:
        # Nothing of the message is logged; the count says how many since the start.
        now = time.monotonic()
        if now - self._drops_warned_at >= DROP_WARNING_S:
            self._drops_warned_at = now
            log.warning(
                "dropped fan-out messages that failed authentication (%d so far): another "
                "CHAT_SECRET_KEY on the same Redis, a clock off by minutes, or forgery",
                self._seal.dropped,
            )

    async def _listen_with_retries(self) -> Any:
        retry_s = FIRST_RETRY_S
        failures, logged_at = 0, -RETRY_LOG_S
        connect = True
        # Clients in rooms when a working subscription broke: they may miss messages.
        interrupted: set[tuple[str, str]] = set()
        while True:
            try:
                if connect:
                    await self._drop_connection()
                    self._redis_connect()
                    # A new connection hears nothing yet: the shared channel and every
                    # room that has a client here, again.
                    self._sub_state.clear()
                    self._sub_pending.clear()
                    await self._command("sub", [self.channel, *sorted(self._wanted_channels())], raise_errors=True)
                    connect = False
                    if failures:
                        log.warning("receiving from Redis again after %d failed attempts", failures)
                        failures, retry_s = 0, FIRST_RETRY_S
                    if interrupted:
                        missed, interrupted = interrupted, set()
                        await self._resync_clients(missed)
                async for message in self.pubsub.listen():
                    yield message
                raise ConnectionError("subscription ended")  # listen() stops when unsubscribed
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis restarting: try again
                failures += 1
                if failures == 1 or time.monotonic() - logged_at >= RETRY_LOG_S:
                    logged_at = time.monotonic()
                    log.error(
                        "cannot receive from Redis (%s; attempt %d), retrying every %.1f s at most",
                        type(exc).__name__,
                        failures,
                        MAX_RETRY_S,
                    )
                if not connect:
                    interrupted |= self._room_members()
                connect = True
                await asyncio.sleep(retry_s)
                retry_s = min(retry_s * 2, MAX_RETRY_S)
