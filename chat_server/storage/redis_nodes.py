"""The ephemeral Redis, every node of it: nothing may write conversations to disk.

A replica holds the same conversations as its primary, so a replica that snapshots
(RDB) or keeps an append-only file breaks the promise as surely as a primary that
does. Replication itself writes to disk unless told not to, even with persistence
off: a primary with ``repl-diskless-sync no`` writes an RDB file to feed a replica's
full sync, and a replica with ``repl-diskless-load disabled`` (Redis's default) or
``on-empty-db`` stores the RDB it receives as ``dump.rdb`` in its directory, and keeps
it (``rdb-del-sync-files`` is off by default). Every node may become the primary, so
every node needs ``repl-diskless-sync yes``, and every replica a diskless load
(``swapdb``). A replica that accepts writes of its own (``replica-read-only no``)
would hold data the primary never saw.

The server checks at start: the primary, every replica the primary reports (``INFO
replication``) and, behind Sentinel, every replica the sentinels know (a replica that
is reconnecting is missing from the first list).
"""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError

from .redis_client import node_client
from .redis_url import RedisTarget

__all__ = ["persistence_problems"]

#: repl-diskless-load values that write the received data to disk (always, or when the
#: replica already holds data: a resync after a long disconnection).
_DISK_LOADS = frozenset({"disabled", "on-empty-db"})


async def persistence_problems(primary: Any, target: RedisTarget) -> list[str]:
    """Why the Redis behind ``primary`` (a client of the primary, from
    ``redis_client``) may write to disk or diverge: one sentence per problem, naming
    the node by address, empty when none. A node that cannot be asked counts as a
    problem (nothing can be promised about it). Raises RedisError/OSError when the
    primary itself cannot be reached."""
    problems = [f"the primary {target.describe()} {p}" for p in await _persists(primary)]
    info = await primary.info("replication")
    if info.get("role") != "master":
        problems.append(f"{target.describe()} is a replica (role {info.get('role')}), not the primary")
    replicas = {
        (str(v["ip"]), int(v["port"])) for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)
    }
    manager = getattr(primary.connection_pool, "sentinel_manager", None)
    if manager is not None:
        replicas.update((str(h), int(p)) for h, p in await manager.discover_slaves(target.service))
    for host, port in sorted(replicas):
        name = f"the replica {host}:{port}"
        client = node_client(target, host, port)
        try:
            problems.extend(f"{name} {p}" for p in await _persists(client))
            config = await client.config_get("replica-read-only")
            if config.get("replica-read-only") != "yes":
                problems.append(f"{name} accepts writes of its own (replica-read-only is not yes)")
            load = (await client.config_get("repl-diskless-load")).get("repl-diskless-load", "disabled")
            if load in _DISK_LOADS:
                problems.append(
                    f"{name} stores what it receives from the primary on disk first "
                    f"(repl-diskless-load {load}; use swapdb)"
                )
        except (RedisError, OSError) as exc:
            problems.append(f"{name} cannot be checked ({type(exc).__name__})")
        finally:
            await client.aclose()
    return problems


async def _persists(client: Any) -> list[str]:
    save = (await client.config_get("save")).get("save", "")
    appendonly = (await client.config_get("appendonly")).get("appendonly")
    diskless = (await client.config_get("repl-diskless-sync")).get("repl-diskless-sync")
    found = []
    if save.strip():
        found.append(f"writes RDB snapshots (save {save!r})")
    if appendonly == "yes":
        found.append("keeps an append-only file (appendonly yes)")
    if diskless != "yes":
        found.append("would write an RDB file to feed a replica (repl-diskless-sync is not yes)")
    return found
