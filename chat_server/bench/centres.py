"""Many resource centres on one installation, for chat_server/bench/bench.py (issue 19
point 7).

* :func:`create_centres` makes the centres of a benchmark deployment in its durable
  store (before its servers start), :func:`spread` deals staff and conversations over
  them round-robin.
* :func:`queue_phase` (``--phases queue_centres``): two processes over one Redis, the
  same staff on duty spread over 1 and then over ``--many-centres`` centres, and
  visitors whose chats start, are accepted and end, back to back. Per queue event
  (one such chat) it counts the PUBLISH commands Redis received (``INFO
  commandstats``), the queue snapshots the consoles received, and the servers' CPU.
  Publishes per event are the fan-out cost the number of centres must not change;
  snapshots received are the staff of the chat's centre who watch it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from . import queue_worker

if TYPE_CHECKING:
    from .bench import Bench

DEFAULT = "default"


def centre_ids(n: int) -> list[str]:
    """``n`` centre ids: ``default`` alone for one, else ``b01`` … (the default centre
    stays, empty, as on a real national installation)."""
    return [DEFAULT] if n <= 1 else [f"b{i + 1:02d}" for i in range(n)]


def create_centres(env: dict[str, str], n: int) -> list[str]:
    """Create the centres of :func:`centre_ids` in the durable store the servers of
    ``env`` will use (as the national admin would, through the centres service); the
    ids."""
    ids = centre_ids(n)
    if ids != [DEFAULT]:
        asyncio.run(_create(env, ids))
    return ids


async def _create(env: dict[str, str], ids: list[str]) -> None:
    from chat_server import i18n
    from chat_server.config import load_settings
    from chat_server.services.audit import Audit
    from chat_server.services.centres import Centres, NewCentre
    from chat_server.storage import open_durable

    settings = load_settings(env=env)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    durable = open_durable(settings.effective_durable_url)
    if hasattr(durable, "open"):
        await durable.open()
    try:
        centres = Centres(durable, Audit(durable), i18n.SUPPORTED)
        for centre in ids:
            await centres.do_create_centre(None, NewCentre(centre, {"sv": f"Resurscentrum {centre}"}))
    finally:
        await durable.close()


def spread(items: list[Any], parts: int) -> list[list[Any]]:
    """``items`` dealt round-robin into ``parts`` lists (item i to list i % parts)."""
    return [items[i::parts] for i in range(parts)]


# --- the queue phase -----------------------------------------------------------------------
def queue_phase(bench: Bench, centres: int) -> None:
    """One run of the queue phase with ``centres`` centres (see the module)."""
    from .bench import CpuSampler

    a = bench.args
    dep = bench.deploy("redis", 2, staff=a.queue_staff, centres=centres)
    name = f"queue_centres_{centres}"
    try:
        tasks = []
        for i, mine in enumerate(spread(list(enumerate(dep.staff)), a.gen_procs)):
            tasks.append(
                {
                    # Consoles alternate between the processes; so do the visitors.
                    "staff": [{**s, "url": dep.urls[j % 2]} for j, s in mine],
                    "visitor_urls": dep.urls,
                    "cycles": a.queue_cycles // a.gen_procs,
                    "concurrency": a.queue_concurrency,
                    "redis_port": bench.redis_port,
                    "first": i == 0,
                }
            )
        samplers: list[CpuSampler] = []

        def sample(generator_pids: list[int]) -> None:
            samplers.append(CpuSampler({"servers": [p.pid for p in dep.procs], "generators": generator_pids}))

        try:
            results = bench.run_workers(queue_worker.queue_worker, tasks, on_started=sample)
        finally:
            for s in samplers:
                s.stop()
    finally:
        dep.stop()
    cycles = sum(r["cycles"] for r in results)
    window = [min(r["t_start"] for r in results), max(r["t_end"] for r in results)]
    publishes = next(r["publishes"] for r in results if r.get("publishes") is not None)
    received = sum(r["queue_received"] for r in results)
    out: dict[str, Any] = {
        "centres": centres,
        "staff_on_duty": len(dep.staff),
        "processes": 2,
        "chats": cycles,
        "failed": sum(r["failed"] for r in results),
        "chats_per_s": round(cycles / (window[1] - window[0]), 1),
        "publishes_per_chat": round(publishes / max(1, cycles), 2),
        "queue_snapshots_received_per_chat": round(received / max(1, cycles), 2),
        "server_cpu_ms_per_chat": round(1000 * samplers[0].between(*window) / max(1, cycles), 2),
    }
    bench.runs.setdefault(name, []).append(out)
    runs = sorted(bench.runs[name], key=lambda r: r["server_cpu_ms_per_chat"])
    summary = dict(runs[(len(runs) - 1) // 2])
    summary["runs"] = len(runs)
    for key in ("publishes_per_chat", "server_cpu_ms_per_chat", "chats_per_s"):
        summary[key + "_all"] = [r[key] for r in bench.runs[name]]
    bench.results[name] = summary


def report(results: dict[str, Any]) -> list[str]:
    """The report's lines for the centre phases."""
    lines = []
    for name in sorted(k for k in results if k.startswith("queue_centres_")):
        x = results[name]
        lines.append(
            f"queue events, {x['centres']:>2} centre(s), {x['staff_on_duty']} staff on duty, 2 processes: "
            f"{x['chats']} chats started, accepted and ended ({x['failed']} failed), "
            f"{x['publishes_per_chat']} Redis publishes per chat, "
            f"{x['queue_snapshots_received_per_chat']} queue snapshots received per chat, "
            f"server CPU {x['server_cpu_ms_per_chat']} ms per chat, {x['chats_per_s']} chats/s"
        )
        lines.append(
            f"    {x['runs']} run(s), median by CPU shown; publishes per chat {x['publishes_per_chat_all']}, "
            f"CPU ms per chat {x['server_cpu_ms_per_chat_all']}, chats/s {x['chats_per_s_all']}"
        )
    return lines
