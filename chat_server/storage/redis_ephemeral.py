"""Ephemeral store on Redis (scale-out mode).

The Redis must run without persistence (``--save "" --appendonly no``): the server
checks at start and refuses a persisting one unless explicitly overridden, because a
conversation must not outlive its end on some disk.
Records are JSON strings; compare-and-set uses WATCH/MULTI and deduplicated appends a
Lua script, so both are atomic across processes. Every key is set with an expiry.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError, WatchError

from .base import JSON, StoreUnavailable
from .redis_client import AutoPipeline, Script, redis_client

__all__ = ["RedisEphemeral", "redis_client"]

log = logging.getLogger(__name__)

# Appends without decoding JSON in Lua (cjson cannot tell [] from {}); the
# sequence number is the position in the list, added when reading.
# KEYS: log list, dedupe hash. ARGV: dedupe key, record json, ttl
_APPEND = Script("""
local idx = redis.call('HGET', KEYS[2], ARGV[1])
if idx then
  return {0, tonumber(idx), redis.call('LINDEX', KEYS[1], tonumber(idx))}
end
local n = redis.call('RPUSH', KEYS[1], ARGV[2]) - 1
redis.call('HSET', KEYS[2], ARGV[1], n)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {1, n, ARGV[2]}
""")

_INCR = Script("""
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return v
""")


class RedisEphemeral:
    def __init__(self, url: str, prefix: str = "rc:e:") -> None:
        self._redis: Any = redis_client(url)
        self._p = prefix
        # Simple commands share round trips (see redis_client.AutoPipeline); only the
        # compare-and-set in ``update`` needs a connection of its own (WATCH).
        self._pipe = AutoPipeline(self._redis)

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
        await self._pipe.call("SET", self._k(kind, key), json.dumps(data), "EX", max(1, ttl))

    async def add(self, kind: str, key: str, data: JSON, ttl: int) -> bool:
        created = await self._pipe.call("SET", self._k(kind, key), json.dumps(data), "EX", max(1, ttl), "NX")
        return bool(created)

    async def get(self, kind: str, key: str) -> JSON | None:
        raw = await self._pipe.call("GET", self._k(kind, key))
        return json.loads(raw) if raw else None

    async def get_many(self, items: list[tuple[str, str]]) -> list[JSON | None]:
        raws = await self._pipe.call("MGET", *(self._k(kind, key) for kind, key in items))
        return [json.loads(raw) if raw else None for raw in raws]

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
        return bool(await self._pipe.call("DEL", self._k(kind, key)))

    async def append_message(self, conversation_id: str, dedupe_key: str, record: JSON, ttl: int) -> tuple[JSON, bool]:
        created, index, out = await self._pipe.script(
            _APPEND,
            keys=[self._k("msgs", conversation_id), self._k("dedupe", conversation_id)],
            args=[dedupe_key, json.dumps(record), max(1, ttl)],
        )
        return dict(json.loads(out), seq=int(index) + 1), bool(created)

    async def messages(self, conversation_id: str) -> list[JSON]:
        raw = await self._pipe.call("LRANGE", self._k("msgs", conversation_id), 0, -1)
        return [dict(json.loads(r), seq=i + 1) for i, r in enumerate(raw)]

    async def delete_messages(self, conversation_id: str) -> None:
        await self._pipe.call("DEL", self._k("msgs", conversation_id), self._k("dedupe", conversation_id))

    async def index_add(self, name: str, member: str, score: float, ttl: int) -> None:
        key = self._k("idx", name)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {member: score})
            pipe.expire(key, max(1, ttl))
            await self._call(pipe.execute())

    async def index_remove(self, name: str, member: str) -> bool:
        return bool(await self._pipe.call("ZREM", self._k("idx", name), member))

    async def index_members(self, name: str) -> list[tuple[str, float]]:
        items = await self._pipe.call("ZRANGE", self._k("idx", name), 0, -1, "WITHSCORES")
        if items and not isinstance(items[0], (list, tuple)):  # a flat reply: m, s, m, s, …
            items = list(zip(items[::2], items[1::2], strict=True))
        return sorted(((m, float(s)) for m, s in items), key=lambda kv: (kv[1], kv[0]))

    async def incr(self, key: str, ttl: int, amount: int = 1) -> int:
        return int(await self._pipe.script(_INCR, keys=[self._k("ctr", key)], args=[amount, ttl]))

    async def keys_for_inspection(self) -> list[str]:
        return [k async for k in self._redis.scan_iter(match=self._p + "*", count=500)]
