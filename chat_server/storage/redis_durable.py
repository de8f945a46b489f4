"""Durable store on Redis (scale-out mode, a Redis run *with* persistence).

Layout 2 (prefix ``rc:d:``): ``schema`` the layout's number; ``centre:<id>`` JSON and
``centres`` set of ids; ``staff:<id>`` JSON, ``staff-by-name`` hash lower(username) -> id;
``audit`` sorted set by ts of every entry, ``audit:c:<centre>`` the same members for one
centre, ``audit-centres`` set of those centres; ``stats:<centre>:<day>`` hash key ->
count, ``stats-days:<centre>`` set of days, ``stats-centres`` set of centres;
``kv:<ns>:<key>`` JSON with optional expiry and ``kvidx:<ns>`` set of keys.

Layout 1 (the releases before centres) had ``stats:<day>`` and ``stats-days`` and an
``audit`` whose entries had no centres; :meth:`RedisDurable.open` migrates it (once,
under a lock, every step safe to repeat should a process stop half-way).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from redis.exceptions import RedisError, WatchError

from .base import DEFAULT_CENTRE, JSON, SCHEMA_VERSION, Conflict, StoreUnavailable
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
        """Migrate a store of an earlier layout (see the module docstring); another
        process doing it meanwhile is waited for (up to a minute)."""
        for _ in range(600):
            if int(await self._call(self._redis.get(self._k("schema"))) or 1) >= SCHEMA_VERSION:
                return
            if await self._call(self._redis.set(self._k("migrating"), "1", nx=True, ex=120)):
                try:
                    await self._migrate()
                finally:
                    await self._call(self._redis.delete(self._k("migrating")))
                return
            await asyncio.sleep(0.1)
        raise StoreUnavailable("migration of the durable store did not finish")

    async def _migrate(self) -> None:
        r = self._redis
        # Statistics: stats:<day> -> stats:default:<day>. A day moved before a stop is
        # merged rather than overwritten.
        for day in await self._call(r.smembers(self._k("stats-days"))):
            old, new = self._k("stats", day), self._k("stats", DEFAULT_CENTRE, day)
            counts = await self._call(r.hgetall(old))
            async with r.pipeline(transaction=True) as pipe:
                for key, n in counts.items():
                    pipe.hincrby(new, key, int(n))
                pipe.sadd(self._k("stats-days", DEFAULT_CENTRE), day)
                pipe.sadd(self._k("stats-centres"), DEFAULT_CENTRE)
                pipe.delete(old)
                pipe.srem(self._k("stats-days"), day)
                await self._call(pipe.execute())
        # Audit: every entry of layout 1 was the one centre's.
        for member, score in await self._call(r.zrange(self._k("audit"), 0, -1, withscores=True)):
            entry = json.loads(member)
            if "centres" in entry:
                continue
            tagged = json.dumps({**entry, "centres": [DEFAULT_CENTRE]})
            async with r.pipeline(transaction=True) as pipe:
                pipe.zadd(self._k("audit"), {tagged: score})
                pipe.zadd(self._k("audit", "c", DEFAULT_CENTRE), {tagged: score})
                pipe.sadd(self._k("audit-centres"), DEFAULT_CENTRE)
                pipe.zrem(self._k("audit"), member)
                await self._call(pipe.execute())
        await self._call(r.set(self._k("schema"), str(SCHEMA_VERSION)))

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

    # centres --------------------------------------------------------------------------
    async def create_centre(self, record: JSON) -> JSON:
        created = await self._call(self._redis.set(self._k("centre", record["id"]), json.dumps(record), nx=True))
        if not created:
            raise Conflict("centre id taken")
        await self._call(self._redis.sadd(self._k("centres"), record["id"]))
        return record

    async def get_centre(self, centre_id: str) -> JSON | None:
        raw = await self._call(self._redis.get(self._k("centre", centre_id)))
        return json.loads(raw) if raw else None

    async def list_centres(self) -> list[JSON]:
        ids = sorted(await self._call(self._redis.smembers(self._k("centres"))))
        records = [await self.get_centre(i) for i in ids]
        return [r for r in records if r]

    async def update_centre(self, centre_id: str, changes: JSON) -> JSON | None:
        key = self._k("centre", centre_id)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                while True:
                    try:
                        await pipe.watch(key)
                        raw = await pipe.get(key)
                        if raw is None:
                            return None
                        data: JSON = {**json.loads(raw), **changes, "id": centre_id}
                        pipe.multi()
                        pipe.set(key, json.dumps(data))
                        await pipe.execute()
                        return data
                    except WatchError:
                        continue
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

    async def update_staff(self, staff_id: str, changes: JSON, *, expect: JSON | None = None) -> JSON | None:
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
                        if expect and any(data.get(k) != v for k, v in expect.items()):
                            return None
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
        centres = sorted(set(entry.get("centres") or ()))
        seq = await self._call(self._redis.incr(self._k("audit-seq")))
        member = json.dumps({**entry, "centres": centres, "_seq": seq})
        score = float(entry["ts"])
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self._k("audit"), {member: score})
            for cid in centres:
                pipe.zadd(self._k("audit", "c", cid), {member: score})
            if centres:
                pipe.sadd(self._k("audit-centres"), *centres)
            await self._call(pipe.execute())

    async def list_audit(self, limit: int = 100, before_ts: int | None = None, centre: str | None = None) -> list[JSON]:
        top = f"({before_ts}" if before_ts is not None else "+inf"
        name = self._k("audit") if centre is None else self._k("audit", "c", centre)
        raw = await self._call(self._redis.zrevrangebyscore(name, top, "-inf", start=0, num=limit))
        out = []
        for r in raw:
            entry = json.loads(r)
            entry.pop("_seq", None)
            out.append(entry)
        return out

    async def prune_audit(self, before_ts: int) -> int:
        bound = f"({int(before_ts)}"
        centres = await self._call(self._redis.smembers(self._k("audit-centres")))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(self._k("audit"), "-inf", bound)
            for cid in centres:
                pipe.zremrangebyscore(self._k("audit", "c", cid), "-inf", bound)
            results = await self._call(pipe.execute())
        return int(results[0])

    # stats ----------------------------------------------------------------------------
    async def add_stats(self, day: str, counters: dict[str, int], centre: str = DEFAULT_CENTRE) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key, n in counters.items():
                pipe.hincrby(self._k("stats", centre, day), key, int(n))
            pipe.sadd(self._k("stats-days", centre), day)
            pipe.sadd(self._k("stats-centres"), centre)
            await self._call(pipe.execute())

    async def _stats_days(self, centre: str, first_day: str, last_day: str) -> list[str]:
        days = await self._call(self._redis.smembers(self._k("stats-days", centre)))
        return sorted(d for d in days if first_day <= d <= last_day)

    async def get_stats(
        self, first_day: str, last_day: str, centre: str | None = DEFAULT_CENTRE
    ) -> list[tuple[str, str, int]]:
        centres = (
            [centre] if centre is not None else sorted(await self._call(self._redis.smembers(self._k("stats-centres"))))
        )
        totals: dict[tuple[str, str], int] = {}
        for cid in centres:
            for day in await self._stats_days(cid, first_day, last_day):
                counts = await self._call(self._redis.hgetall(self._k("stats", cid, day)))
                for key, n in counts.items():
                    totals[(day, key)] = totals.get((day, key), 0) + int(n)
        return [(day, key, n) for (day, key), n in sorted(totals.items())]

    async def prune_stats(self, before_day: str) -> int:
        pruned: set[str] = set()
        for cid in await self._call(self._redis.smembers(self._k("stats-centres"))):
            days = [d for d in await self._call(self._redis.smembers(self._k("stats-days", cid))) if d < before_day]
            if days:
                async with self._redis.pipeline(transaction=True) as pipe:
                    pipe.delete(*(self._k("stats", cid, d) for d in days))
                    pipe.srem(self._k("stats-days", cid), *days)
                    await self._call(pipe.execute())
                pruned.update(days)
        return len(pruned)

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

    async def replace_kv(self, namespace: str, key: str, expected: JSON | None, value: JSON) -> bool:
        name = self._k("kv", namespace, key)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                await pipe.watch(name)
                raw = await pipe.get(name)
                if (json.loads(raw) if raw else None) != expected:
                    return False
                pipe.multi()
                pipe.set(name, json.dumps(value))
                pipe.sadd(self._k("kvidx", namespace), key)
                await pipe.execute()
                return True
        except WatchError:
            return False  # changed between the read and the write
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc

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
