"""Load-generator processes for chat_server/bench/bench.py (each runs its own event loop).

Latency is measured from the visitor's emit to the operator's receipt: the visitor
puts ``time.monotonic_ns()`` in the message text, and CLOCK_MONOTONIC is one clock for
every process on the machine, so the receiving side can subtract it.
"""

from __future__ import annotations

import asyncio
import resource
import time
import traceback
from typing import Any

import aiohttp

from .eio import RawSocket


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _loop_runner() -> Any:
    """uvloop when installed (a test dependency): the generators' own CPU per message is
    mostly event-loop and system-call overhead, and every bit of it is taken from the
    servers being measured on the same two cores."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run
    return uvloop.run


def _run(coro_fn: Any, task: dict[str, Any], barrier: Any, queue: Any) -> None:
    _raise_nofile()
    try:
        queue.put(_loop_runner()(coro_fn(task, barrier)))
    except Exception:  # noqa: BLE001 - report to the parent instead of hanging it
        barrier.abort()
        queue.put({"error": traceback.format_exc()})


async def _wait(barrier: Any, timeout: float) -> None:
    # In a thread, so this process keeps answering the server's pings meanwhile.
    await asyncio.to_thread(barrier.wait, timeout)


async def _settle(done: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


def _http() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


# --- idle visitors ----------------------------------------------------------------------
def idle_worker(task: dict[str, Any], barrier: Any, queue: Any) -> None:
    _run(_idle, task, barrier, queue)


async def _idle(task: dict[str, Any], barrier: Any) -> dict[str, Any]:
    async with _http() as http:
        for _ in range(task["warmup"]):
            s = RawSocket(http, task["url"], "/visitor")
            await s.connect()
            await s.close()
        await _wait(barrier, 120)  # warm-up done: the parent reads RSS
        await _wait(barrier, 120)  # go
        sockets: list[RawSocket] = []
        failed = 0
        gate = asyncio.Semaphore(task["concurrency"])

        async def one() -> None:
            nonlocal failed
            async with gate:
                s = RawSocket(http, task["url"], "/visitor")
                try:
                    await s.connect()
                    sockets.append(s)
                except Exception:  # noqa: BLE001 - counted, not fatal
                    failed += 1
                    await s.close()

        t_start = time.monotonic()
        await asyncio.gather(*(one() for _ in range(task["count"])))
        t_end = time.monotonic()
        await _wait(barrier, 900)  # all connected: the parent reads RSS
        await _wait(barrier, 120)  # released
        await asyncio.gather(*(s.close() for s in sockets))
    return {"connected": len(sockets), "failed": failed, "t_start": t_start, "t_end": t_end}


# --- relay ------------------------------------------------------------------------------
def relay_worker(task: dict[str, Any], barrier: Any, queue: Any) -> None:
    _run(_relay, task, barrier, queue)


async def _login(http: aiohttp.ClientSession, url: str, staff: dict[str, str]) -> str:
    from chat_server.security import totp

    body = {
        "username": staff["username"],
        "password": staff["password"],
        "totp": totp.code_at(staff["totp"]),
    }
    async with http.post(url + "/api/login", json=body) as resp:
        if resp.status != 200:
            raise RuntimeError(f"login failed: {resp.status} {await resp.text()}")
        return "rc_staff=" + resp.cookies["rc_staff"].value


async def _relay(task: dict[str, Any], barrier: Any) -> dict[str, Any]:
    phase = "setup"
    latencies: list[float] = []
    counts = {"sent": 0, "received": 0, "ack_errors": 0, "sat": 0}
    error_codes: dict[str, int] = {}
    by_conv: dict[str, RawSocket] = {}
    sat_window = [0.0, 0.0]
    seq = 0

    def send(v: RawSocket) -> Any:
        nonlocal seq
        seq += 1
        return v.send("message", {"client_id": f"m{seq}", "text": str(time.monotonic_ns())}, check_ack)

    def check_ack(payload: Any) -> None:
        if payload is None:
            code = "no_ack"
        elif not payload.get("ok"):
            code = str(payload.get("error", {}).get("code"))
        else:
            return
        counts["ack_errors"] += 1
        error_codes[code] = error_codes.get(code, 0) + 1

    def on_operator(event: str, data: Any, raw: str) -> Any:
        if event != "message" or data.get("from") != "visitor":
            return None
        now = time.monotonic_ns()
        if phase == "fixed":
            latencies.append((now - int(data["text"])) / 1e6)
            counts["received"] += 1
        elif phase == "saturate":
            if sat_window[0] <= now / 1e9 < sat_window[1]:
                counts["sat"] += 1
            if now / 1e9 < sat_window[1]:
                return send(by_conv[data["conversation_id"]])  # the reader awaits it
        return None

    async with _http() as http:
        # One operator per staff account of this generator (several when the phase
        # spreads its chats over centres, each in its own centre).
        ops: list[tuple[RawSocket, str | None]] = []
        for staff in task["staff"]:
            headers = {}
            if not task["kind"].startswith("baseline"):
                headers["Cookie"] = await _login(http, task["operator_url"], staff)
            op = RawSocket(http, task["operator_url"], "/operator", headers=headers, on_event=on_operator)
            await op.connect()
            assert (await op.call("duty", {"on": True}))["ok"]
            ops.append((op, staff.get("centre")))
        started = 0

        async def visitor() -> None:
            nonlocal started
            op, centre = ops[started % len(ops)]
            started += 1
            v = RawSocket(http, task["visitor_url"], "/visitor", on_event=lambda *a: None, parse=False)
            # The widget names its centre at connect (services/embedding.py).
            await v.connect({"centre": centre} if centre else None)
            ack = await v.call("start", {"audience": "self", **({"centre": centre} if centre else {})})
            if not ack.get("ok"):
                raise RuntimeError(f"start refused: {ack}")
            conv_id = ack["conversation"]["id"]
            accepted = await op.call("accept", {"conversation_id": conv_id})
            if not accepted.get("ok"):
                raise RuntimeError(f"accept refused: {accepted}")
            by_conv[conv_id] = v

        for _ in range(0, task["conversations"], 20):
            await asyncio.gather(*(visitor() for _ in range(min(20, task["conversations"] - len(by_conv)))))
        visitors = list(by_conv.values())

        # Fixed offered rate: send on schedule, whatever the answers do (open loop).
        await _wait(barrier, 300)
        phase = "fixed"
        rate, duration = task["rate"], task["duration"]
        t0 = time.monotonic()
        times = {"fixed": [t0, t0 + duration]}
        while (now := time.monotonic()) < t0 + duration:
            due = int((now - t0) * rate) + 1
            while counts["sent"] < due:
                await send(visitors[counts["sent"] % len(visitors)])
                counts["sent"] += 1
            await asyncio.sleep(0.002)
        await _settle(lambda: counts["received"] + counts["ack_errors"] >= counts["sent"], 3.0)  # stragglers
        phase = "between"

        # Saturation: each conversation keeps `window` messages in flight (closed loop).
        if task["saturate"]:
            await _wait(barrier, 300)
            start = time.monotonic() + 1.0  # one second of warm-up is not counted
            sat_window[:] = [start, start + task["saturate"]]
            times["saturate"] = list(sat_window)
            phase = "saturate"
            for v in visitors:
                for _ in range(task["window"]):
                    await send(v)
            await asyncio.sleep(max(0.0, sat_window[1] - time.monotonic()))
            await asyncio.sleep(0.5)  # the last answers
            phase = "done"

        await asyncio.gather(*(v.close() for v in visitors))
        for op, _ in ops:
            await op.close()
    return {
        "sent": counts["sent"],
        "received": counts["received"],
        "ack_errors": counts["ack_errors"],
        "ack_error_codes": error_codes,
        "latencies_ms": latencies,
        "saturation_received": counts["sat"],
        "times": times,
    }
