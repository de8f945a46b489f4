"""Durable store on Redis (scale-out mode, a Redis run *with* persistence).

Layout (prefix ``rc:d:``): ``staff:<id>`` JSON, ``staff-by-name`` hash lower(username)
-> id, ``audit`` sorted set by ts, ``stats:<day>`` hash key -> count, ``kv:<ns>:<key>``
JSON with optional expiry and ``kvidx:<ns>`` set of keys.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.exceptions import RedisError, WatchError

from .base import JSON, Conflict, StoreUnavailable
from .redis_ephemeral import redis_client


class RedisDurable:
    def __init__(self, url: str, prefix: str = "rc:d:") -> None:
        self._redis: Any = redis_client(url)
        self._p = prefix

    @property
    def client(self) -> Any:
        return self._redis

    def _k(self, *parts: str) -> str:
        return self._p + ":".join(parts)

    async def open(self) -> None:
        return None

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

    # staff ----------------------------------------------------------------------------
    async def create_staff(self, record: JSON) -> JSON:
        name = record["username"].lower()
        ok = await self._call(self._redis.hsetnx(self._k("staff-by-name"), name, record["id"]))
        if not ok:
            raise Conflict("username taken")
        created = await self._call(self._redis.set(self._k("staff", record["id"]), json.dumps(record), nx=True))
        if not created:
            await self._call(self._redis.hdel(self._k("staff-by-name"), name))
            raise Conflict("id taken")
        return record

    async def get_staff(self, staff_id: str) -> JSON | None:
        raw = await self._call(self._redis.get(self._k("staff", staff_id)))
        return json.loads(raw) if raw else None

    async def get_staff_by_username(self, username: str) -> JSON | None:
        sid = await self._call(self._redis.hget(self._k("staff-by-name"), username.lower()))
        return await self.get_staff(sid) if sid else None

    async def list_staff(self) -> list[JSON]:
        ids = await self._call(self._redis.hvals(self._k("staff-by-name")))
        records = [await self.get_staff(i) for i in ids]
        return sorted((r for r in records if r), key=lambda r: r["username"].lower())

    async def update_staff(self, staff_id: str, changes: JSON) -> JSON | None:
        key = self._k("staff", staff_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(key, self._k("staff-by-name"))
                        raw = await pipe.get(key)
                        if raw is None:
                            return None
                        data: JSON = json.loads(raw)
                        old_name = data["username"].lower()
                        data.update(changes)
                        new_name = data["username"].lower()
                        if new_name != old_name:
                            owner = await pipe.hget(self._k("staff-by-name"), new_name)
                            if owner and owner != staff_id:
                                raise Conflict("username taken")
                        pipe.multi()
                        pipe.set(key, json.dumps(data))
                        if new_name != old_name:
                            pipe.hdel(self._k("staff-by-name"), old_name)
                            pipe.hset(self._k("staff-by-name"), new_name, staff_id)
                        await pipe.execute()
                        return data
                    except WatchError:
                        continue
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

    async def count_staff(self, role: str | None = None) -> int:
        return sum(1 for r in await self.list_staff() if role is None or r.get("role") == role)

    # audit ----------------------------------------------------------------------------
    async def add_audit(self, entry: JSON) -> None:
        seq = await self._call(self._redis.incr(self._k("audit-seq")))
        member = json.dumps(dict(entry, _seq=seq))
        await self._call(self._redis.zadd(self._k("audit"), {member: float(entry["ts"])}))

    async def list_audit(self, limit: int = 100, before_ts: int | None = None) -> list[JSON]:
        top = f"({before_ts}" if before_ts is not None else "+inf"
        raw = await self._call(self._redis.zrevrangebyscore(self._k("audit"), top, "-inf", start=0, num=limit))
        out = []
        for r in raw:
            entry = json.loads(r)
            entry.pop("_seq", None)
            out.append(entry)
        return out

    async def prune_audit(self, before_ts: int) -> int:
        return int(await self._call(self._redis.zremrangebyscore(self._k("audit"), "-inf", f"({int(before_ts)}")))

    # stats ----------------------------------------------------------------------------
    async def add_stats(self, day: str, counters: dict[str, int]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, n in counters.items():
                pipe.hincrby(self._k("stats", day), key, int(n))
            pipe.sadd(self._k("stats-days"), day)
            await self._call(pipe.execute())

    async def get_stats(self, first_day: str, last_day: str) -> list[tuple[str, str, int]]:
        days = sorted(
            d for d in await self._call(self._redis.smembers(self._k("stats-days"))) if first_day <= d <= last_day
        )
        out: list[tuple[str, str, int]] = []
        for day in days:
            counts = await self._call(self._redis.hgetall(self._k("stats", day)))
            out.extend((day, k, int(v)) for k, v in sorted(counts.items()))
        return out

    async def prune_stats(self, before_day: str) -> int:
        days = [d for d in await self._call(self._redis.smembers(self._k("stats-days"))) if d < before_day]
        if days:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(*(self._k("stats", d) for d in days))
                pipe.srem(self._k("stats-days"), *days)
                await self._call(pipe.execute())
        return len(days)

    # kv -------------------------------------------------------------------------------
    async def put_kv(self, namespace: str, key: str, value: JSON, expires_at: float | None = None) -> None:
        name = self._k("kv", namespace, key)
        async with self._redis.pipeline(transaction=True) as pipe:
            if expires_at is None:
                pipe.set(name, json.dumps(value))
            else:
                pipe.set(name, json.dumps(value), pxat=int(expires_at * 1000))
            pipe.sadd(self._k("kvidx", namespace), key)
            await self._call(pipe.execute())

    async def add_kv(self, namespace: str, key: str, value: JSON, expires_at: float | None = None) -> bool:
        name = self._k("kv", namespace, key)
        expiry = {} if expires_at is None else {"pxat": int(expires_at * 1000)}
        created = await self._call(self._redis.set(name, json.dumps(value), nx=True, **expiry))
        if created:
            await self._call(self._redis.sadd(self._k("kvidx", namespace), key))
        return bool(created)

    async def get_kv(self, namespace: str, key: str) -> JSON | None:
        raw = await self._call(self._redis.get(self._k("kv", namespace, key)))
        return json.loads(raw) if raw else None

    async def delete_kv(self, namespace: str, key: str) -> bool:
        await self._call(self._redis.srem(self._k("kvidx", namespace), key))
        return bool(await self._call(self._redis.delete(self._k("kv", namespace, key))))

    async def list_kv(self, namespace: str) -> list[tuple[str, JSON]]:
        keys = sorted(await self._call(self._redis.smembers(self._k("kvidx", namespace))))
        out: list[tuple[str, JSON]] = []
        for key in keys:
            value = await self.get_kv(namespace, key)
            if value is None:
                await self._call(self._redis.srem(self._k("kvidx", namespace), key))
            else:
                out.append((key, value))
        return out

    async def take_kv(self, namespace: str, key: str) -> JSON | None:
        raw = await self._call(self._redis.getdel(self._k("kv", namespace, key)))
        await self._call(self._redis.srem(self._k("kvidx", namespace), key))
        return json.loads(raw) if raw else None

    async def _now(self) -> float:
        return time.time()
