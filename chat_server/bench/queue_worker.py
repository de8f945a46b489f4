"""Load generator of the queue phase (chat_server/bench/centres.py): staff consoles on
duty that count the queue snapshots they receive, and visitors whose chats start in a
centre, are accepted by an operator of that centre and end, ``concurrency`` at a time.

Between two barriers every generator runs its chats; the first generator resets
Redis's command statistics before and reads the PUBLISH count after, so the count
covers exactly the chats of every generator (and whatever else the servers published
meanwhile, which is part of the cost).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from .eio import RawSocket
from .workers import _http, _login, _run, _wait


def queue_worker(task: dict[str, Any], barrier: Any, queue: Any) -> None:
    _run(_queue, task, barrier, queue)


async def _queue(task: dict[str, Any], barrier: Any) -> dict[str, Any]:
    import redis.asyncio as redis

    counting = False
    received = 0

    def on_console(event: str, data: Any, raw: str) -> None:
        nonlocal received
        if counting and event == "queue":
            received += 1

    store = redis.Redis(port=task["redis_port"]) if task["first"] else None
    async with _http() as http:
        consoles: dict[str, list[RawSocket]] = {}
        for staff in task["staff"]:
            cookie = await _login(http, staff["url"], staff)
            op = RawSocket(http, staff["url"], "/operator", headers={"Cookie": cookie}, on_event=on_console)
            await op.connect()
            if not (await op.call("duty", {"on": True}))["ok"]:
                raise RuntimeError("duty refused")
            consoles.setdefault(staff["centre"], []).append(op)
        centres = sorted(consoles)
        turns = {c: itertools.cycle(ops) for c, ops in consoles.items()}
        failed = 0

        async def chat(k: int) -> None:
            nonlocal failed
            centre = centres[k % len(centres)]
            v = RawSocket(http, task["visitor_urls"][k % len(task["visitor_urls"])], "/visitor", parse=False)
            try:
                await v.connect({"centre": centre})  # as the widget does (services/embedding.py)
                started = await v.call("start", {"audience": "self", "centre": centre})
                conv_id = started["conversation"]["id"]
                accepted = await next(turns[centre]).call("accept", {"conversation_id": conv_id})
                ended = await v.call("end", {})
                if not (accepted.get("ok") and ended.get("ok")):
                    failed += 1
            except Exception:  # noqa: BLE001 - counted; the report shows it
                failed += 1
            finally:
                await v.close()

        await asyncio.sleep(1.0)  # the duty snapshots are delivered
        await _wait(barrier, 600)
        if store is not None:
            await store.config_resetstat()
        await _wait(barrier, 60)
        counting = True
        t_start = time.monotonic()
        gate = asyncio.Semaphore(task["concurrency"])

        async def gated(k: int) -> None:
            async with gate:
                await chat(k)

        await asyncio.gather(*(gated(k) for k in range(task["cycles"])))
        t_end = time.monotonic()
        await _wait(barrier, 600)
        await asyncio.sleep(1.0)  # the last snapshots arrive
        counting = False
        publishes = None
        if store is not None:
            stats = await store.info("commandstats")
            publishes = int(stats.get("cmdstat_publish", {}).get("calls", 0))
            await store.aclose()
        for ops in consoles.values():
            for op in ops:
                await op.close()
    return {
        "cycles": task["cycles"],
        "failed": failed,
        "queue_received": received,
        "publishes": publishes,
        "t_start": t_start,
        "t_end": t_end,
    }
