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

Behind Redis Sentinel (``redis+sentinel://``, storage/redis_url.py) the client asks the
sentinels for the primary before each new connection, so after a failover the next
command reaches the promoted replica; commands caught in the switch fail as
StoreUnavailable, which the transport answers as ``unavailable`` and clients retry.
An AutoPipeline built with ``wait_replicas`` ends every batch that writes with
``WAIT``, so a write is acknowledged only once that many replicas have it (or the
timeout passed, which is logged): a failover then loses nothing acknowledged.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import socket
import time
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelConnectionPool
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .base import StoreUnavailable
from .redis_url import RedisTarget, parse_redis_url

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
#: How long one sentinel may take to answer before the next one is asked.
SENTINEL_TIMEOUT_S = 1.0
#: TCP keepalive on every connection: a Redis host that vanished without closing its
#: connections (power loss, a partition) is noticed within about 25 s even by a
#: connection that only listens (the fan-out's subscription), which no read timeout
#: covers.
_KEEPALIVE = {
    option: value
    for name, value in (("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
    if (option := getattr(socket, name, None)) is not None
}
#: Commands of the stores that only read: a batch of nothing else needs no WAIT.
_READS = frozenset({"GET", "MGET", "LRANGE", "ZRANGE", "EXISTS", "TTL", "PTTL", "PING"})
#: At most one warning per this many seconds about writes no replica confirmed.
UNREPLICATED_WARNING_S = 60.0
#: After a WAIT fell short (no replica, e.g. right after a failover), batches go out
#: without WAIT for this long, then WAIT is tried again: a missing replica costs one
#: stalled batch (the WAIT timeout) per period instead of every batch.
WAIT_RETRY_S = 2.0


def redis_client(url: str) -> Any:
    """A client that survives a Redis restart or a Sentinel failover: pooled
    connections the old server closed fail once and are retried on a fresh connection
    (quickly: a Redis that is really away is reported as StoreUnavailable within a
    fraction of a second). With a ``redis+sentinel://`` URL every new connection goes
    to the primary the sentinels name at that moment. Raises ValueError for a URL
    :func:`~chat_server.storage.redis_url.parse_redis_url` refuses."""
    target = parse_redis_url(url)
    common: dict[str, Any] = {
        "max_connections": POOL_SIZE,
        "timeout": POOL_WAIT_S,
        "decode_responses": True,
        "socket_timeout": 5,
        "socket_keepalive": True,
        "socket_keepalive_options": _KEEPALIVE,
        "retry": Retry(ExponentialBackoff(cap=0.2, base=0.01), 2),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }
    if not target.is_sentinel:
        pool = aioredis.BlockingConnectionPool.from_url(url, **common)
        return aioredis.Redis.from_pool(pool)
    sentinels = sentinel_manager(target)
    return sentinels.master_for(
        target.service,
        redis_class=SentinelPrimary,
        connection_pool_class=BlockingSentinelConnectionPool,
        db=target.db,
        username=target.username,
        password=target.password,
        **_tls(target),
        **common,
    )


def sentinel_manager(target: RedisTarget) -> Sentinel:
    """redis-py's Sentinel client for ``target``'s sentinels (with their own
    credentials and TLS); also used to list the replicas (redis_nodes.py)."""
    return Sentinel(  # type: ignore[no-untyped-call]  # untyped library
        list(target.sentinels),
        sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT_S,
            "socket_connect_timeout": SENTINEL_TIMEOUT_S,
            "username": target.sentinel_username,
            "password": target.sentinel_password,
            "decode_responses": True,
            **_tls(target),
        },
    )


def node_client(target: RedisTarget, host: str, port: int) -> Any:
    """A plain client of one Redis node of ``target`` (a replica, for checks), with
    the same credentials and TLS as the primary's connections."""
    return aioredis.Redis(
        host=host,
        port=port,
        username=target.username,
        password=target.password,
        decode_responses=True,
        socket_timeout=SENTINEL_TIMEOUT_S * 3,
        socket_connect_timeout=SENTINEL_TIMEOUT_S * 3,
        **_tls(target),
    )


def _tls(target: RedisTarget) -> dict[str, Any]:
    if not target.tls:
        return {}
    return {"ssl": True, **({"ssl_ca_certs": target.ssl_ca_certs} if target.ssl_ca_certs else {})}


class BlockingSentinelConnectionPool(SentinelConnectionPool, aioredis.BlockingConnectionPool):
    """Sentinel's pool (each new connection asks the sentinels for the primary, and a
    primary that was demoted is left) with the blocking pool's wait for a free
    connection (``POOL_SIZE``, ``POOL_WAIT_S``)."""


class SentinelPrimary(aioredis.Redis):
    """The primary's client; closing it also closes its connections to the sentinels."""

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await super().aclose(close_connection_pool)
        manager = getattr(self.connection_pool, "sentinel_manager", None)
        if manager is not None:
            await manager.aclose()


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
    Redis in the order they were asked for.

    With ``wait_replicas`` > 0, a batch that holds a write (anything not in ``_READS``)
    ends with ``WAIT wait_replicas wait_timeout_ms``: Redis answers it once that many
    replicas have every write of the connection so far, so no caller in the batch hears
    "done" before its write is on the replicas. One WAIT covers the whole batch, so
    under load its cost is shared by every command in it. When the replicas do not
    confirm in time (a replica down or far behind) the writes stand on the primary
    alone and are acknowledged anyway: refusing them would stop the chat whenever the
    one replica is away. Then batches skip WAIT for ``WAIT_RETRY_S`` before trying
    again. Writes acknowledged without confirmation are logged
    (``UNREPLICATED_WARNING_S``) and counted in ``unreplicated``."""

    def __init__(
        self, client: Any, linger_s: float = LINGER_S, *, wait_replicas: int = 0, wait_timeout_ms: int = 100
    ) -> None:
        if wait_replicas and wait_timeout_ms < 1:
            raise ValueError("wait_timeout_ms must be at least 1 (WAIT with 0 waits forever)")
        self._client = client
        self._linger_s = linger_s
        self._wait = (wait_replicas, wait_timeout_ms) if wait_replicas > 0 else None
        #: Writes acknowledged without the replicas' confirmation, since the start.
        self.unreplicated = 0
        self._unreplicated_warned_at = -UNREPLICATED_WARNING_S
        self._wait_skipped_until = 0.0  # monotonic time
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
        writes = 0
        if self._wait is not None:
            writes = sum(1 for args in commands if str(args[0]).upper() not in _READS)
            if writes and time.monotonic() < self._wait_skipped_until:
                self._unconfirmed(writes, "skipped")
                writes = 0
        async with self._client.pipeline(transaction=False) as pipe:
            for args in commands:
                pipe.execute_command(*args)
            if writes:
                # Same connection, after the writes: WAIT counts replicas that have
                # everything this connection wrote.
                pipe.execute_command("WAIT", *self._wait)  # type: ignore[misc]
            replies = list(await pipe.execute(raise_on_error=False))
        if writes:
            self._replicated(replies.pop(), writes)
        return replies

    def _replicated(self, reply: Any, writes: int) -> None:
        assert self._wait is not None
        if isinstance(reply, int) and reply >= self._wait[0]:
            return
        self._wait_skipped_until = time.monotonic() + WAIT_RETRY_S
        self._unconfirmed(writes, f"WAIT answered {reply if isinstance(reply, int) else type(reply).__name__}")

    def _unconfirmed(self, writes: int, why: str) -> None:
        assert self._wait is not None
        self.unreplicated += writes
        now = time.monotonic()
        if now - self._unreplicated_warned_at >= UNREPLICATED_WARNING_S:
            self._unreplicated_warned_at = now
            log.warning(
                "Redis writes acknowledged before %d replica(s) confirmed them within %d ms "
                "(%d so far; %s): a failover now would lose them. Is a replica down?",
                *self._wait,
                self.unreplicated,
                why,
            )


def _log_unheard(count: int, why: str) -> None:
    if count:
        log.error("%d Redis commands nobody waited for failed (%s)", count, why)
