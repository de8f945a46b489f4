"""The soak's load-generator process: operators on duty, conversation slots running
back to back for the soak's duration, then the checks (soak_check.py), a look at what
the servers still hold (the supervisors' ``overview`` and the ephemeral Redis), and a
result for chat_server/bench/soak.py to report.

One process and one event loop hold every client, so a conversation's script can see
what both sides received. The soak offers a human pace (a few dozen messages per
second in all), far below what this process can generate.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

import aiohttp

from . import workers
from .eio import RawSocket
from .soak_check import KINDS, check_conversation, tally
from .soak_director import run_conversation
from .soak_operator import OperatorActor
from .soak_records import ConvRecord, Fault
from .soak_visitor import VisitorLink
from .soak_world import World, login


def _ignore(event: str, data: Any, raw: str) -> None:
    return None


def soak_worker(task: dict[str, Any], barrier: Any, queue: Any) -> None:
    workers._run(_soak, task, barrier, queue)


async def _slot(world: World, http: aiohttp.ClientSession, slot: int, records: list[ConvRecord]) -> None:
    """Conversations one after another until the soak ends."""
    await asyncio.sleep(world.rng.uniform(0, min(5.0, world.task["duration"] / 4)))
    reuse: VisitorLink | None = None
    seq = 0
    try:
        while not world.stopping:
            seq += 1
            rec = ConvRecord(slot, seq, world.now())
            records.append(rec)
            reuse = await run_conversation(world, http, rec, reuse)
            await asyncio.sleep(world.rng.uniform(0.1, 1.0))
    finally:
        if reuse is not None:
            await reuse.close()


async def _operator_churn(world: World) -> None:
    """Now and then one console's connection drops and comes back: mostly within a few
    seconds, sometimes after the operator grace (their chats go back to the queue)."""
    every = world.task["operator_drop_every_s"]
    if every <= 0:
        return
    while not world.stopping:
        await asyncio.sleep(world.rng.uniform(0.5 * every, 1.5 * every))
        online = [op for op in world.operators if op.online.is_set()]
        if world.stopping or not online:
            break
        op = world.rng.choice(online)
        long = world.rng.random() < 0.2
        away = world.task["operator_grace_s"] + 10 if long else world.rng.uniform(1.0, 8.0)
        world.counts["console drops past the operator grace" if long else "console drops and returns"] += 1
        await op.drop_and_return(away)


async def _referral_ids(http: aiohttp.ClientSession, op: OperatorActor) -> list[str]:
    """Receiver ids of the referral directory (seeded with example data on first use)."""
    async with http.get(op.url + "/api/referrals", headers={"Cookie": op.cookie}) as resp:
        if resp.status != 200:
            return []
        data = await resp.json()
    return [str(r["id"]) for r in data.get("receivers", [])][:12]


async def _store_leftovers(redis_url: str, ended: set[str]) -> dict[str, list[str]]:
    """Keys (and index members) of the ephemeral Redis that still name an ended
    conversation, by kind of key."""
    import redis.asyncio as aioredis

    found: dict[str, list[str]] = {}
    client = aioredis.from_url(redis_url, decode_responses=True)
    try:
        async for key in client.scan_iter(match="rc:e:*", count=1000):
            parts = key.split(":")
            kind = parts[2] if len(parts) > 2 else key
            hits = [p for p in parts[3:] if p in ended]
            if await client.type(key) == "zset":
                hits += [m for m in await client.zrange(key, 0, -1) if m in ended]
            for cid in hits:
                found.setdefault(kind if kind != "idx" else key.removeprefix("rc:e:"), []).append(cid)
    finally:
        await client.aclose()
    return found


async def _soak(task: dict[str, Any], barrier: Any) -> dict[str, Any]:
    world = World(task)
    records: list[ConvRecord] = []
    global_faults: list[Fault] = []
    async with workers._http() as http:
        n = len(task["urls"])
        world.operators = [OperatorActor(world, i, creds, i % n) for i, creds in enumerate(task["staff"])]
        await asyncio.gather(*(op.start(http) for op in world.operators))
        world.receivers = await _referral_ids(http, world.operators[0])
        cookie, _admin = await login(http, task["urls"][0], task["admin"])
        world.admin = RawSocket(http, task["urls"][0], "/operator", headers={"Cookie": cookie}, on_event=_ignore)
        await world.admin.connect()
        await workers._wait(barrier, 300)  # the parent starts sampling RSS now
        world.t0 = t_start = time.monotonic()
        slots = [asyncio.ensure_future(_slot(world, http, k, records)) for k in range(task["conversations"])]
        churn = asyncio.ensure_future(_operator_churn(world))
        await asyncio.sleep(task["duration"])
        world.stopping = True
        t_load_end = time.monotonic()
        await churn  # a console away comes back first
        _done, pending = await asyncio.wait(slots, timeout=task["queue_timeout_s"] + 60)
        for p in pending:
            p.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        t_drained = time.monotonic()
        await asyncio.sleep(task["settle_s"])  # the servers' sweeps; late events
        ended = {r.id for r in records if r.id and r.ended_by}
        for item in await world.overview():
            cid = str(item.get("id"))
            if cid in world.spares or item.get("pseudonym") in world.gone_at_start:
                continue  # reported when found (double start, start cut at once)
            if cid in ended or cid not in world.live:
                global_faults.append(
                    Fault(
                        "left_in_store",
                        cid,
                        f"listed live by overview {task['settle_s']:.0f}s after the load "
                        f"(state {item.get('state')}, operator {item.get('operator')}), "
                        f"{'ended by the soak' if cid in ended else 'not a conversation the soak knows'}",
                    )
                )
        leftovers = await _store_leftovers(task["redis_url"], ended)
        for kind, ids in leftovers.items():
            if kind == "ctr":  # counters (urgent-alert) expire by themselves and hold nothing
                continue
            for cid in ids:
                global_faults.append(Fault("left_in_store", cid, f"ephemeral store key of kind {kind!r} remains"))
        for sock in [op.sock for op in world.operators] + [world.admin]:
            if sock is not None:
                await sock.close()
        for t in list(world.tasks):
            t.cancel()
    who = world.who
    faults = [f for rec in records for f in check_conversation(rec, who)] + world.faults + global_faults
    by_id = {r.id: r for r in records if r.id}
    affected: dict[str, set[str]] = {}
    for f in faults:
        affected.setdefault(f.kind, set()).add(f.conversation or "")
    return {
        "t_start": t_start,
        "t_load_end": t_load_end,
        "t_drained": t_drained,
        "tally": tally(records, {op.staff_id: op.process for op in world.operators}),
        "refused": dict(sorted(world.refused.items())),
        "refusal_texts": world.refusal_texts,
        "offers": dict(sorted(world.offers.items())),
        "cleanup": dict(world.cleanup),
        "counts": dict(sorted(world.counts.items())),
        "faults": [f.as_dict() for f in faults],
        "fault_counts": dict(Counter(f.kind for f in faults)),
        "conversations_with_fault": {k: len(v) for k, v in affected.items()},
        "kinds": KINDS,
        "store_leftovers": {k: len(v) for k, v in leftovers.items()},
        "timelines": {
            cid: [f"{t:8.2f}s  {text}" for t, text in sorted(by_id[cid].timeline, key=lambda x: x[0])]
            for cid in dict.fromkeys(f.conversation for f in faults if f.conversation in by_id)
            if cid is not None
        },
        "staff": {op.staff_id: f"{op.name} (P{op.process})" for op in world.operators},
    }
