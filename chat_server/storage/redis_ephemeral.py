"""Ephemeral store on Redis (scale-out mode).

The Redis must run without persistence (``--save "" --appendonly no``), its replicas
too: the server checks at start and refuses a persisting one unless explicitly
overridden, because a conversation must not outlive its end on some disk
(storage/redis_nodes.py).
Records are JSON strings; compare-and-set and deduplicated appends are Lua scripts, so
both are atomic across processes. Every key is set with an expiry. Every command goes
through one AutoPipeline (storage/redis_client.py), so with ``wait_replicas`` every
write, a message or a change of a conversation, is on the replicas before it is
acknowledged (``WAIT``): a Sentinel failover then loses nothing a client was told is
done.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError

from .base import JSON
from .redis_client import AutoPipeline, Script, redis_client
from .redis_nodes import persistence_problems
from .redis_url import parse_redis_url

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


# Compare-and-set: the write happens only if the record is still exactly what the
# caller read (the version inside it grows with every write, so equal text means
# nothing changed in between). KEYS: record. ARGV: old json, new json, ttl (0: keep).
_CAS = Script("""
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
end
return 1
""")

# KEYS: sorted set. ARGV: member, score, ttl
_INDEX_ADD = Script("""
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
""")


class RedisEphemeral:
    """``wait_replicas``: replicas that must confirm each write before it counts as
    done (``WAIT``, at most ``wait_timeout_ms`` per batch; 0: none, a single Redis)."""

    def __init__(self, url: str, prefix: str = "rc:e:", *, wait_replicas: int = 0, wait_timeout_ms: int = 100) -> None:
        self._target = parse_redis_url(url)
        self._redis: Any = redis_client(url)
        self._p = prefix
        # Every command shares round trips (see redis_client.AutoPipeline), the
        # compare-and-set too, so every write is covered by the batch's WAIT.
        self._pipe = AutoPipeline(self._redis, wait_replicas=wait_replicas, wait_timeout_ms=wait_timeout_ms)

    @property
    def client(self) -> Any:
        return self._redis

    def _k(self, *parts: str) -> str:
        return self._p + ":".join(parts)

    @property
    def unreplicated_writes(self) -> int:
        """Writes acknowledged although the replicas did not confirm them in time."""
        return self._pipe.unreplicated

    async def persistence_enabled(self) -> bool:
        """True when this Redis, or one of its replicas, writes to disk (RDB snapshots
        or AOF), accepts writes as a replica, or cannot be checked; each problem is
        logged, naming the node."""
        problems = await persistence_problems(self._redis, self._target)
        for problem in problems:
            log.error("ephemeral Redis: %s", problem)
        return bool(problems)

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        await self._redis.aclose()

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
        # Optimistic: read, check and change here, write only if nobody wrote in between
        # (_CAS), else read again. Both commands share batches with everything else.
        name = self._k(kind, key)
        while True:
            raw = await self._pipe.call("GET", name)
            if raw is None:
                return None
            data: JSON = json.loads(raw)
            if expect and any(data.get(k) != v for k, v in expect.items()):
                return None
            data.update(changes)
            if await self._pipe.script(_CAS, keys=[name], args=[raw, json.dumps(data), max(1, ttl) if ttl else 0]):
                return data

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
        await self._pipe.script(_INDEX_ADD, keys=[self._k("idx", name)], args=[member, repr(float(score)), max(1, ttl)])

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
