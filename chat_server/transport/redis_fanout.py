"""Cross-process fan-out on Redis: python-socketio's ``AsyncRedisManager``, publishing
in batches.

The stock manager sends one PUBLISH per emit and waits for it; every relayed message
makes two emits (to the visitor and to the staff room), and on this kind of machine a
Redis round trip costs the process far more CPU than the command itself
(docs/performance.md). Here every emit asked for while a batch is on its way waits for
the next one, and each batch is one pipeline. One batch is in flight at a time, so
publishes leave in exactly the order they were asked for; each caller still waits until
its own message has been handed to Redis, as before.

Messages are JSON (``self.json`` is the server's JSON module), never pickle.
"""

from __future__ import annotations

import asyncio
from typing import Any

import socketio


class BatchingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._queue: list[tuple[str, asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def _publish(self, data: Any) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queue.append((self.json.dumps(data), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await future

    async def _flush(self) -> None:
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                await self._send(batch)
            finally:
                for _, future in batch:
                    if not future.done():
                        future.set_result(None)

    async def _send(self, batch: list[tuple[str, asyncio.Future[None]]]) -> None:
        for retries_left in (1, 0):  # like the stock manager: reconnect once, then give up
            try:
                if not self.connected:  # type: ignore[has-type]
                    self._redis_connect()
                async with self.redis.pipeline(transaction=False) as pipe:
                    for message, _ in batch:
                        pipe.publish(self.channel, message)
                    await pipe.execute()
                return
            except Exception as exc:  # noqa: BLE001 - Redis away: log, never crash an emit
                self.connected = False
                if not retries_left:
                    self._get_logger().error(
                        "Cannot publish to redis... giving up (%d messages)",
                        len(batch),
                        extra={"redis_exception": type(exc).__name__},
                    )
