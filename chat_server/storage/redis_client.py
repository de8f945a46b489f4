"""The Redis client every Redis-backed store uses, and automatic pipelining.

On a busy node most of the CPU a Redis command costs this process is not the command
but the round trip around it: the client library's per-call work, a ``send`` and a
``recv`` system call and the event-loop wake-up (docs/performance.md measures about
55 µs per round trip here, against a few µs for the command itself in Redis).
``AutoPipeline`` therefore sends every command asked for while the previous batch is on
its way as one pipeline (the same idea as ioredis's ``enableAutoPipelining``): under
load one round trip carries dozens of commands, and a lone command still goes out at
once. Commands are independent (no MULTI): each caller gets its own result or error,
and one command's error never affects another's.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .base import StoreUnavailable

log = logging.getLogger(__name__)

#: Connections one process may hold to one Redis. When all are busy a command waits
#: (up to ``POOL_WAIT_S``) instead of failing: the stock pool refuses at once
#: (``MaxConnectionsError``), which under load turned a burst into refused messages.
POOL_SIZE = 32
POOL_WAIT_S = 5.0
#: Least time between two batches of one AutoPipeline. A command asked for after a
#: quiet spell goes out at once; under load, commands gather for up to this long, so
#: one round trip carries many (a Redis round trip costs far more CPU than a command).
LINGER_S = 0.001


def redis_client(url: str) -> Any:
    """A client that survives a Redis restart: pooled connections the old server
    closed fail once and are retried on a fresh connection (quickly: a Redis that is
    really away is reported as StoreUnavailable within a fraction of a second)."""
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        max_connections=POOL_SIZE,
        timeout=POOL_WAIT_S,
        decode_responses=True,
        socket_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.01), 2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )
    return aioredis.Redis.from_pool(pool)


class Script:
    """A Lua script called by its SHA1 (EVALSHA), loaded again when Redis has
    forgotten it (after a restart)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


class AutoPipeline:
    """Every command asked for during one turn of the event loop, or while the previous
    batch is on its way (or lingering, ``linger_s``), goes to Redis in one
    non-transactional pipeline. One batch is in flight at a time, so commands reach
    Redis in the order they were asked for."""

    def __init__(self, client: Any, linger_s: float = LINGER_S) -> None:
        self._client = client
        self._linger_s = linger_s
        self._last_batch = 0.0  # loop time the last batch left
        # (command, future for its reply; None when nobody waits for it)
        self._queue: list[tuple[tuple[Any, ...], asyncio.Future[Any] | None]] = []
        self._sender: asyncio.Task[None] | None = None
        self._batch_sent: asyncio.Future[None] | None = None  # resolved when a batch is done
        self._scripts: dict[str, Script] = {}

    def call(self, *args: Any) -> asyncio.Future[Any]:
        """Queue one command; the future gets its (decoded) reply or StoreUnavailable."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._enqueue(args, future)
        return future

    def send(self, *args: Any) -> None:
        """Queue one command whose reply nobody waits for (fan-out publishes); if Redis
        refuses or is away, the batch's failures are logged once."""
        self._enqueue(args, None)

    @property
    def backlog(self) -> int:
        """Commands waiting for the next batch."""
        return len(self._queue)

    async def batch_sent(self) -> None:
        """Wait until the batch now on its way is done (back-pressure for ``send``)."""
        if self._batch_sent is not None:
            await asyncio.shield(self._batch_sent)

    def _enqueue(self, args: tuple[Any, ...], future: asyncio.Future[Any] | None) -> None:
        self._queue.append((args, future))
        if self._sender is None:
            # Starts on the next loop iteration: everything asked for until then joins.
            self._sender = asyncio.ensure_future(self._send_all())

    def script(self, script: Script, keys: list[str], args: list[Any]) -> asyncio.Future[Any]:
        self._scripts[script.sha] = script
        return self.call("EVALSHA", script.sha, len(keys), *keys, *args)

    async def _send_all(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._queue:
                pause = self._last_batch + self._linger_s - loop.time()
                if pause > 0:
                    await asyncio.sleep(pause)
                self._last_batch = loop.time()
                batch, self._queue = self._queue, []
                self._batch_sent = loop.create_future()
                try:
                    await self._send(batch)
                except BaseException as exc:  # nobody may wait forever, even at shutdown
                    failure = StoreUnavailable(type(exc).__name__)
                    for _, future in batch:
                        if future is not None and not future.done():
                            future.set_exception(failure)
                    _log_unheard(sum(1 for _, f in batch if f is None), type(exc).__name__)
                    if not isinstance(exc, (RedisError, OSError)):
                        raise
                finally:
                    self._batch_sent.set_result(None)
        finally:
            self._sender = None
            if self._queue:  # cancelled with commands still waiting
                for _, future in self._queue:
                    if future is not None and not future.done():
                        future.set_exception(StoreUnavailable("cancelled"))
                self._queue = []

    async def _send(self, batch: list[tuple[tuple[Any, ...], asyncio.Future[Any] | None]]) -> None:
        replies = await self._execute([args for args, _ in batch])
        if any(isinstance(r, NoScriptError) for r in replies):
            # Redis restarted and lost its scripts: load them, run those commands again.
            for script in self._scripts.values():
                await self._client.script_load(script.source)
            again = [i for i, r in enumerate(replies) if isinstance(r, NoScriptError)]
            for i, reply in zip(again, await self._execute([batch[i][0] for i in again]), strict=True):
                replies[i] = reply
        unheard_failures = 0
        for (_, future), reply in zip(batch, replies, strict=True):
            if future is None:
                unheard_failures += isinstance(reply, Exception)
            elif future.done():
                continue
            elif isinstance(reply, Exception):
                future.set_exception(StoreUnavailable(type(reply).__name__))
            else:
                future.set_result(reply)
        _log_unheard(unheard_failures, "refused")

    async def _execute(self, commands: list[tuple[Any, ...]]) -> list[Any]:
        async with self._client.pipeline(transaction=False) as pipe:
            for args in commands:
                pipe.execute_command(*args)
            return list(await pipe.execute(raise_on_error=False))


def _log_unheard(count: int, why: str) -> None:
    if count:
        log.error("%d Redis commands nobody waited for failed (%s)", count, why)
