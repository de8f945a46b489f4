"""Small, deterministic reproductions of the faults the soak finds:
``python -m chat_server.bench.soak_repro [case …]`` (all cases without arguments).

Each case starts from fresh staff accounts on two real server processes sharing one
redis-server (as the soak does), drives raw Engine.IO/Socket.IO clients (eio.py) step
by step, and prints ``REPRODUCED`` with what it saw, or ``not reproduced`` (the fault is
fixed, or the race did not happen in the tries made). Exit status 1 when any case
reproduced. For the developers fixing them (issue 14); the soak itself is the judge.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from .bench import Bench, raise_nofile
from .eio import RawSocket
from .soak_visitor import cards_in, codes_in
from .soak_world import login

Case = Callable[["Lab"], Awaitable[tuple[bool, str]]]


class Client:
    """A raw socket that keeps every event it receives, in order."""

    def __init__(self, http: aiohttp.ClientSession, url: str, ns: str, cookie: str | None = None) -> None:
        self.events: list[tuple[str, Any]] = []
        self.staff_id = ""  # operators
        self.on: dict[str, Callable[[Any], Any]] = {}
        headers = {"Cookie": cookie} if cookie else None
        self.sock = RawSocket(http, url, ns, headers=headers, on_event=self._event, deliver_first=True)

    def _event(self, event: str, data: Any, raw: str) -> Any:
        self.events.append((event, data))
        handler = self.on.get(event)
        return handler(data) if handler else None

    async def connect(self, auth: dict[str, Any] | None = None) -> Any:
        await self.sock.connect(auth)
        await self.wait(lambda: any(e == "session" for e, _ in self.events))
        return next(d for e, d in self.events if e == "session")

    async def call(self, event: str, data: dict[str, Any]) -> Any:
        return await self.sock.call(event, data, 15)

    async def wait(self, pred: Callable[[], bool], timeout: float = 10) -> bool:
        deadline = time.monotonic() + timeout
        while not pred():
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def got(self, event: str) -> list[Any]:
        return [d for e, d in self.events if e == event]


class Lab:
    """Two server processes on one Redis, staff accounts, and clients on them."""

    def __init__(
        self, http: aiohttp.ClientSession, urls: list[str], staff: list[dict[str, str]], admins: list[dict[str, str]]
    ) -> None:
        self.http = http
        self.urls = urls
        self.staff = staff  # shared by every case: each account logs in once
        self.admins = admins

    async def operator(self, process: int, duty: bool = True, admin: bool = False) -> Client:
        creds = self.admins.pop() if admin else self.staff.pop()
        cookie, record = await login(self.http, self.urls[process], creds)
        op = Client(self.http, self.urls[process], "/operator", cookie)
        await op.connect()
        op.staff_id = record["id"]
        if duty:
            assert (await op.call("duty", {"on": True, "languages": ["sv"]}))["ok"]
        return op

    async def visitor(self, process: int, token: str | None = None) -> tuple[Client, dict[str, Any]]:
        v = Client(self.http, self.urls[process], "/visitor")
        session = await v.connect({"resume": token} if token else None)
        return v, session

    async def chat(self, op: Client, process: int = 0) -> tuple[Client, str, str]:
        """A visitor on ``process`` starts; ``op`` accepts. (visitor, token, id)"""
        v, session = await self.visitor(process)
        ack = await v.call("start", {"audience": "self", "locale": "sv"})
        cid = ack["conversation"]["id"]
        assert (await op.call("accept", {"conversation_id": cid}))["ok"]
        return v, session["token"], cid


def sid(op: Client) -> str:
    return op.staff_id


# --- cases: routing "pick" ---------------------------------------------------------------
async def transfer_above_max(lab: Lab) -> tuple[bool, str]:
    """Issue 14: a transfer to a colleague who already has their maximum is accepted."""
    a, b = await lab.operator(0), await lab.operator(1)
    _v1, _t1, c1 = await lab.chat(a, 0)
    _v2, _t2, _c2 = await lab.chat(b, 1)  # B is at the maximum (1) now
    ack = await a.call("transfer", {"conversation_id": c1, "to": sid(b), "note": None})
    await b.wait(lambda: len(b.got("assigned")) >= 2, 3)
    held = len(b.got("assigned"))
    return bool(ack.get("ok")) and held >= 2, f"maximum 1: transfer ack {ack.get('ok')}, B was assigned {held} chats"


async def concurrent_accepts(lab: Lab) -> tuple[bool, str]:
    """Issue 14 ("no operator above their maximum by any path"): two accepts at once
    each see a free place. Maximum 1, two waiting chats, both accepted together."""
    a = await lab.operator(0)
    ids = []
    for process in (0, 1):
        v, _session = await lab.visitor(process)
        ids.append((await v.call("start", {"audience": "self", "locale": "sv"}))["conversation"]["id"])
    acks = await asyncio.gather(*(a.call("accept", {"conversation_id": cid}) for cid in ids))
    ok = sum(1 for ack in acks if ack.get("ok"))
    return ok > 1, f"maximum 1: {ok} of 2 accepts sent together succeeded"


async def refused_transfer_note(lab: Lab) -> tuple[bool, str]:
    """Issue 14: a refused transfer still leaves its note in the chat."""
    a, c = await lab.operator(0), await lab.operator(1, duty=False)
    _v, _t, cid = await lab.chat(a, 0)
    ack = await a.call("transfer", {"conversation_id": cid, "to": sid(c), "note": "Lämnas över"})
    await asyncio.sleep(0.5)
    notes = [m for m in a.got("message") if m.get("internal") and m.get("text") == "Lämnas över"]
    code = (ack.get("error") or {}).get("code")
    evidence = f"transfer to an off-duty colleague: {code}; its note in the chat: {bool(notes)}"
    return not ack.get("ok") and bool(notes), evidence


async def invitee_after_requeue(lab: Lab) -> tuple[bool, str]:
    """Issue 14: A invites B, hands the chat back to the queue, C accepts: B still gets
    the visitor's messages and may write, and C's console does not show B."""
    a, b, c = await lab.operator(0), await lab.operator(1), await lab.operator(1)
    v, _t, cid = await lab.chat(a, 0)
    assert (await a.call("invite", {"conversation_id": cid, "to": sid(b)}))["ok"]
    assert (await a.call("transfer", {"conversation_id": cid, "to": "queue", "note": None}))["ok"]
    assert (await c.call("accept", {"conversation_id": cid}))["ok"]
    await c.wait(lambda: bool(c.got("assigned")))
    shown = [p["id"] for p in (c.got("assigned")[0]["conversation"].get("invited") or [])]
    assert (await v.call("message", {"client_id": "after-requeue", "text": "hej"}))["ok"]
    await b.wait(lambda: any(m.get("client_id") == "after-requeue" for m in b.got("message")), 3)
    b_got = any(m.get("client_id") == "after-requeue" for m in b.got("message"))
    b_ack = await b.call("message", {"conversation_id": cid, "client_id": "b-writes", "text": "hej"})
    return b_got and sid(b) not in shown, (
        f"C's assigned shows invited {shown}; B received the visitor's message: {b_got}; B may write: {b_ack.get('ok')}"
    )


async def invitee_console_drop(lab: Lab) -> tuple[bool, str]:
    """The soak's invitee loss: B (invited, on the other process) loses their console;
    the visitor and A write; B comes back. The servers must list the chat in B's `sync`
    with what was said meanwhile. (In the soak, B's `leave` went out together with its
    `sync` and was handled first, so the sync listed nothing: the actor's race.)"""
    a, b = await lab.operator(1), await lab.operator(0)
    v, _t, cid = await lab.chat(a, 0)
    assert (await a.call("invite", {"conversation_id": cid, "to": sid(b)}))["ok"]
    await b.wait(lambda: bool(b.got("invited")))
    b.sock.abort()
    sent = [(await v.call("message", {"client_id": f"v{i}", "text": "hej"}))["id"] for i in range(2)]
    sent.append((await a.call("message", {"conversation_id": cid, "client_id": "a1", "text": "hej"}))["id"])
    await asyncio.sleep(1)
    b2 = Client(lab.http, lab.urls[0], "/operator", b.sock.headers.get("Cookie"))
    await b2.connect()
    chats = (await b2.call("sync", {})).get("chats") or []
    listed = {m["id"] for c in chats if c["conversation"]["id"] == cid for m in c["messages"]}
    missing = [m for m in sent if m not in listed]
    return bool(missing), f"after the drop, B's sync lists the chat: {bool(chats)}; messages missing: {missing}"


async def _drop_and_resume(lab: Lab, action: Callable[[Client, str], Awaitable[Any]]) -> tuple[Client, Any]:
    a = await lab.operator(0)
    v, token, cid = await lab.chat(a, 0)
    v.sock.abort()  # no goodbye
    await asyncio.sleep(0.5)
    ack = await action(a, cid)
    v2, session = await lab.visitor(1, token)
    assert (session.get("conversation") or {}).get("id") == cid
    await v2.wait(lambda: bool(v2.got("history")))
    await asyncio.sleep(0.5)
    return v2, ack


async def referral_during_drop(lab: Lab) -> tuple[bool, str]:
    """Issue 14: referral cards sent while the visitor's connection is down are lost."""

    async def refer(a: Client, cid: str) -> Any:
        return await a.call("referral", {"conversation_id": cid, "targets": ["bris-116111"]})

    v2, ack = await _drop_and_resume(lab, refer)
    live = v2.got("referral")
    history = [ids for item in v2.got("history")[0]["messages"] for ids in cards_in(item)]
    return bool(ack.get("ok")) and not live and not history, (
        f"referral ack {ack.get('ok')}; after the resume on the other process: live referral events {len(live)}, "
        f"cards in history {history}"
    )


async def followup_during_drop(lab: Lab) -> tuple[bool, str]:
    """Issue 14: a follow-up code issued while the visitor's connection is down is lost."""

    async def summary(a: Client, cid: str) -> Any:
        return await a.call("followup_summary", {"conversation_id": cid, "summary": "Pratade om skolan."})

    v2, ack = await _drop_and_resume(lab, summary)
    live = v2.got("followup_code")
    history = [c for item in v2.got("history")[0]["messages"] for c in codes_in(item)]
    return bool(ack.get("ok")) and not live and not history, (
        f"followup_summary ack {ack.get('ok')}; after the resume: followup_code events {len(live)}, codes in "
        f"history {len(history)}"
    )


async def typing_left_over(lab: Lab) -> tuple[bool, str]:
    """Issue 14: typing from the visitor followed by a dropped connection stays shown."""
    a = await lab.operator(0)
    v, _t, cid = await lab.chat(a, 1)
    assert (await v.call("typing", {"active": True}))["ok"]
    await a.wait(lambda: any(d.get("active") for d in a.got("typing")))
    v.sock.abort()
    await asyncio.sleep(2)
    last = [d.get("active") for d in a.got("typing") if d.get("conversation_id") == cid][-1]
    away = [d["conversation"]["visitor_connected"] for d in a.got("conversation")]
    return bool(last), f"last typing the console got: {last}; visitor_connected in its summaries: {away}"


async def resume_redelivery(lab: Lab) -> tuple[bool, str]:
    """A resume while the operator writes: a message can come both in `history` and
    live on the new connection (DESIGN.md promise 4: each once). 20 resumes on the other
    process while the operator sends a message every 10 ms."""
    a = await lab.operator(0)
    v, token, cid = await lab.chat(a, 0)
    writing = True

    async def write() -> None:
        n = 0
        while writing:
            n += 1
            await a.call("message", {"conversation_id": cid, "client_id": f"w{n}", "text": "hej"})
            await asyncio.sleep(0.01)

    writer = asyncio.ensure_future(write())
    twice = []
    for i in range(20):
        v.sock.abort()
        v, session = await lab.visitor((i + 1) % 2, token)
        token = session["token"]
        await v.wait(lambda v=v: bool(v.got("history")))  # type: ignore[misc]
        await asyncio.sleep(0.3)
        ids = [m["id"] for m in v.got("history")[0]["messages"]]
        live = [m["id"] for m in v.got("message")]
        twice += [m for m in live if m in ids]
    writing = False
    await writer
    return bool(twice), f"20 resumes while the operator writes: {len(twice)} messages both in history and live"


async def double_start(lab: Lab) -> tuple[bool, str]:
    """Issue 14: two `start` at once on one socket create two conversations."""
    v, _session = await lab.visitor(0)
    acks = await asyncio.gather(
        v.call("start", {"audience": "self", "locale": "sv"}), v.call("start", {"audience": "self", "locale": "sv"})
    )
    ids = sorted({a["conversation"]["id"] for a in acks if a.get("ok")})
    return len(ids) > 1, f"conversation ids from the two acks: {ids}"


async def start_then_cut(lab: Lab) -> tuple[bool, str]:
    """Issue 14: a start whose connection is cut at once creates a conversation that
    stays marked connected. Tried 20 times; racy by nature."""
    admin = await lab.operator(0, duty=False, admin=True)
    found: list[int] = []
    created = 0
    delays_ms = [0, 1, 2, 3, 5, 8, 12, 20, 30, 50]
    for n in range(20):
        v, session = await lab.visitor(1)
        await v.sock.send("start", {"audience": "self", "locale": "sv"}, lambda _p: None)
        await asyncio.sleep(delays_ms[n % len(delays_ms)] / 1000)
        v.sock.abort()
        await asyncio.sleep(3)
        items = (await admin.call("overview", {})).get("items") or []
        mine = [i for i in items if i.get("pseudonym") == session["pseudonym"]]
        created += bool(mine)
        if any(i.get("visitor_connected") for i in mine):
            found.append(delays_ms[n % len(delays_ms)])
    return bool(found), (
        f"20 starts cut 0-50 ms later: {created} made a chat, {len(found)} of them still marked visitor_connected: "
        f"true 3 s later (cut {sorted(found)} ms after the start)"
    )


# --- cases: routing "auto" ---------------------------------------------------------------
async def stale_release(lab: Lab) -> tuple[bool, str]:
    """The only operator on duty hands a chat back to the queue and accepts it again
    when it is offered back at once: `released` arrives after the new `assigned`, so the
    console drops a chat the server has given it. Tried 10 times."""
    a = await lab.operator(0)
    tasks: set[asyncio.Future[Any]] = set()

    def accept_at_once(offer: Any) -> None:  # not awaited by the reader: it must read the ack
        task = asyncio.ensure_future(a.call("accept", {"conversation_id": offer["conversation"]["id"]}))
        tasks.add(task)

    a.on["offer"] = accept_at_once
    seen = 0
    for _ in range(10):
        v, _session = await lab.visitor(1)
        cid = (await v.call("start", {"audience": "self", "locale": "sv"}))["conversation"]["id"]
        await a.wait(_assigned(a, cid))
        mark = len(a.events)
        assert (await a.call("transfer", {"conversation_id": cid, "to": "queue", "note": None}))["ok"]
        await asyncio.sleep(1.5)
        order = [e for e, d in a.events[mark:] if e in ("assigned", "released") and _cid(d) == cid]
        seen += order == ["assigned", "released"]
        await v.call("end", {})
    return seen > 0, f"{seen} of 10 hand-backs: `assigned` (offered back, accepted) came before `released`"


def _assigned(op: Client, cid: str) -> Callable[[], bool]:
    return lambda: any(d["conversation"]["id"] == cid for d in op.got("assigned"))


def _cid(data: Any) -> str:
    return str(data.get("conversation_id") or (data.get("conversation") or {}).get("id"))


async def offer_for_away_visitor(lab: Lab) -> tuple[bool, str]:
    """Issue 14: offers go to visitors whose connection is gone."""
    v, _session = await lab.visitor(0)
    cid = (await v.call("start", {"audience": "self", "locale": "sv"}))["conversation"]["id"]
    v.sock.abort()
    await asyncio.sleep(1)
    a = await lab.operator(1)
    await a.wait(lambda: any(d["conversation"]["id"] == cid for d in a.got("offer")), 5)
    offers = [d["conversation"]["visitor_connected"] for d in a.got("offer") if d["conversation"]["id"] == cid]
    return offers == [False], f"offers of the chat whose visitor left 1 s before: visitor_connected {offers}"


PICK: dict[str, Case] = {
    "transfer_above_max": transfer_above_max,
    "concurrent_accepts": concurrent_accepts,
    "refused_transfer_note": refused_transfer_note,
    "invitee_after_requeue": invitee_after_requeue,
    "invitee_console_drop": invitee_console_drop,
    "referral_during_drop": referral_during_drop,
    "followup_during_drop": followup_during_drop,
    "typing_left_over": typing_left_over,
    "resume_redelivery": resume_redelivery,
    "double_start": double_start,
    "start_then_cut": start_then_cut,
}
AUTO: dict[str, Case] = {"stale_release": stale_release, "offer_for_away_visitor": offer_for_away_visitor}


async def _run(
    cases: dict[str, Case], urls: list[str], staff: list[dict[str, str]], admins: list[dict[str, str]]
) -> dict[str, tuple[bool, str]]:
    out = {}
    pool, admin_pool = list(staff), list(admins)
    async with aiohttp.ClientSession() as http:
        for name, case in cases.items():
            try:
                out[name] = await case(Lab(http, urls, pool, admin_pool))
            except Exception as exc:  # noqa: BLE001 - one case failing must not hide the others
                out[name] = (False, f"the case itself failed: {type(exc).__name__}: {exc}")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m chat_server.bench.soak_repro", description=__doc__)
    p.add_argument("cases", nargs="*", help=f"any of {', '.join([*PICK, *AUTO])} (default: all)")
    args = p.parse_args(argv)
    chosen = args.cases or [*PICK, *AUTO]
    unknown = set(chosen) - set(PICK) - set(AUTO)
    if unknown:
        print(f"unknown cases: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    raise_nofile()
    bench = Bench(argparse.Namespace())
    results: dict[str, tuple[bool, str]] = {}
    try:
        bench.start_redis()
        for mode, cases in (("pick", PICK), ("auto", AUTO)):
            todo = {k: v for k, v in cases.items() if k in chosen}
            if not todo:
                continue
            overrides = {"CHAT_ROUTING_MODE": mode, "CHAT_MAX_CHATS_DEFAULT": "1" if mode == "pick" else "3"}
            dep = bench.deploy("redis", 2, staff=4 * len(todo), overrides=overrides)
            try:
                admins = bench.create_staff("redis", 1, role="admin")
                results.update(asyncio.run(_run(todo, dep.urls, dep.staff, admins)))
            finally:
                dep.stop()
    finally:
        bench.close()
    for name in chosen:
        reproduced, evidence = results[name]
        print(f"{'REPRODUCED' if reproduced else 'not reproduced':<15} {name}: {evidence}")
    print(json.dumps({k: v[0] for k, v in results.items()}), file=sys.stderr)
    return 1 if any(r for r, _e in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
