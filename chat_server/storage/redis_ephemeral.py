"""Ephemeral store on Redis (scale-out mode).

The Redis must run without persistence (``--save "" --appendonly no``): the server
checks at start and refuses a persisting one unless explicitly overridden, because a
conversation must not outlive its end on some disk.
Records are JSON strings; compare-and-set uses WATCH/MULTI and deduplicated appends a
Lua script, so both are atomic across processes. Every key is set with an expiry.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .base import JSON, StoreUnavailable

log = logging.getLogger(__name__)

# Appends without decoding JSON in Lua (cjson cannot tell [] from {}); the
# sequence number is the position in the list, added when reading.
# KEYS: log list, dedupe hash. ARGV: dedupe key, record json, ttl
_APPEND = """
local idx = redis.call('HGET', KEYS[2], ARGV[1])
if idx then
  return {0, tonumber(idx), redis.call('LINDEX', KEYS[1], tonumber(idx))}
end
local n = redis.call('RPUSH', KEYS[1], ARGV[2]) - 1
redis.call('HSET', KEYS[2], ARGV[1], n)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {1, n, ARGV[2]}
"""

_INCR = """
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return v
"""


def redis_client(url: str) -> Any:
    """A client that survives a Redis restart: pooled connections the old server
    closed fail once and are retried on a fresh connection (quickly: a Redis that is
    really away is reported as StoreUnavailable within a fraction of a second)."""
    return aioredis.from_url(
        url,
        decode_responses=True,
        socket_timeout=5,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.01), 2),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
    )


class RedisEphemeral:
    def __init__(self, url: str, prefix: str = "rc:e:") -> None:
        self._redis: Any = redis_client(url)
        self._p = prefix
        self._append = self._redis.register_script(_APPEND)
        self._incr = self._redis.register_script(_INCR)
        # Reads issued in the same event-loop tick, sent together as one MGET.
        self._pending_gets: list[tuple[str, asyncio.Future[Any]]] = []
        self._flushes: set[asyncio.Future[None]] = set()  # keeps flush tasks referenced

    @property
    def client(self) -> Any:
        return self._redis

    def _k(self, *parts: str) -> str:
        return self._p + ":".join(parts)

    async def persistence_enabled(self) -> bool:
        """True when this Redis writes to disk (RDB snapshots or AOF)."""
        save = await self._redis.config_get("save")
        aof = await self._redis.config_get("appendonly")
        return bool(save.get("save", "").strip()) or aof.get("appendonly") == "yes"

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()

    async def _call(self, coro: Any) -> Any:
        try:
            return await coro
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    async def put(self, kind: str, key: str, data: JSON, ttl: int) -> None:
        await self._call(self._redis.set(self._k(kind, key), json.dumps(data), ex=max(1, ttl)))

    async def add(self, kind: str, key: str, data: JSON, ttl: int) -> bool:
        created = await self._call(self._redis.set(self._k(kind, key), json.dumps(data), ex=max(1, ttl), nx=True))
        return bool(created)

    async def get(self, kind: str, key: str) -> JSON | None:
        raw = await self._coalesced_get(self._k(kind, key))
        return json.loads(raw) if raw else None

    def _coalesced_get(self, name: str) -> asyncio.Future[Any]:
        """GET, batched: every read asked for during one turn of the event loop goes to
        Redis as one MGET. Each round trip costs this process far more CPU than the
        command itself (docs/performance.md), and under load many conversations read
        at once. A lone read still costs one round trip."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending_gets.append((name, future))
        if len(self._pending_gets) == 1:
            loop.call_soon(self._flush_gets)
        return future

    def _flush_gets(self) -> None:
        batch, self._pending_gets = self._pending_gets, []
        task = asyncio.ensure_future(self._mget(batch))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _mget(self, batch: list[tuple[str, asyncio.Future[Any]]]) -> None:
        try:
            if len(batch) == 1:
                values = [await self._redis.get(batch[0][0])]
            else:
                values = await self._redis.mget([name for name, _ in batch])
        except (RedisError, OSError) as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreUnavailable(type(exc).__name__))
            return
        except BaseException as exc:  # cancelled at shutdown: nobody waits forever
            for _, future in batch:
                if not future.done():
                    future.set_exception(StoreUnavailable(type(exc).__name__))
            raise
        for (_, future), value in zip(batch, values, strict=True):
            if not future.done():
                future.set_result(value)

    async def update(
        self,
        kind: str,
        key: str,
        changes: JSON,
        *,
        expect: JSON | None = None,
        ttl: int | None = None,
    ) -> JSON | None:
        # Optimistic transaction: WATCH the key, check and write in MULTI, retry if
        # another process wrote in between.
        name = self._k(kind, key)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(name)
                        raw = await pipe.get(name)
                        if raw is None:
                            return None
                        data: JSON = json.loads(raw)
                        if expect and any(data.get(k) != v for k, v in expect.items()):
                            return None
                        data.update(changes)
                        pipe.multi()
                        if ttl:
                            pipe.set(name, json.dumps(data), ex=max(1, ttl))
                        else:
                            pipe.set(name, json.dumps(data), keepttl=True)
                        await pipe.execute()
                        return data
                    except WatchError:
                        continue
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    async def delete(self, kind: str, key: str) -> bool:
        return bool(await self._call(self._redis.delete(self._k(kind, key))))

    async def append_message(
        self, conversation_id: str, dedupe_key: str, record: JSON, ttl: int
    ) -> tuple[JSON, bool]:
        created, index, out = await self._call(
            self._append(
                keys=[self._k("msgs", conversation_id), self._k("dedupe", conversation_id)],
                args=[dedupe_key, json.dumps(record), max(1, ttl)],
            )
        )
        return dict(json.loads(out), seq=int(index) + 1), bool(created)

    async def messages(self, conversation_id: str) -> list[JSON]:
        raw = await self._call(self._redis.lrange(self._k("msgs", conversation_id), 0, -1))
        return [dict(json.loads(r), seq=i + 1) for i, r in enumerate(raw)]

    async def delete_messages(self, conversation_id: str) -> None:
        await self._call(
            self._redis.delete(self._k("msgs", conversation_id), self._k("dedupe", conversation_id))
        )

    async def index_add(self, name: str, member: str, score: float, ttl: int) -> None:
        key = self._k("idx", name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: score})
            pipe.expire(key, max(1, ttl))
            await self._call(pipe.execute())

    async def index_remove(self, name: str, member: str) -> bool:
        return bool(await self._call(self._redis.zrem(self._k("idx", name), member)))

    async def index_members(self, name: str) -> list[tuple[str, float]]:
        items = await self._call(self._redis.zrange(self._k("idx", name), 0, -1, withscores=True))
        return sorted(((m, float(s)) for m, s in items), key=lambda kv: (kv[1], kv[0]))

    async def incr(self, key: str, ttl: int, amount: int = 1) -> int:
        return int(await self._call(self._incr(keys=[self._k("ctr", key)], args=[amount, ttl])))

    async def keys_for_inspection(self) -> list[str]:
        return [k async for k in self._redis.scan_iter(match=self._p + "*", count=500)]
