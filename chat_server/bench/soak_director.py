"""The soak's conversation script: one visitor from ``start`` to the end, with the
operators of soak_operator.py on the other side.

Each conversation slot runs conversations back to back: start (on either process),
wait in the queue for an offer to be accepted, then a random sequence of steps
(messages both ways at once, a connection cut without a goodbye and resumed on the same
or the other process, a transfer to a colleague or back to the queue, an invitation,
referral cards, a follow-up code), then an end (by the visitor, by the operator, or a
quick exit). The choices of a conversation come from its own random generator seeded
with ``seed-slot-n``, so its script is the same on every run with the same seed (what
the servers do in between is not).
"""

from __future__ import annotations

import asyncio
import time
import traceback
from typing import Any

import aiohttp

from .soak_records import ConvRecord, VisitorConn
from .soak_steps import Steps
from .soak_visitor import VisitorLink
from .soak_world import Live, World

TRIAGE = {"categories": ["other"], "risk": "low"}


class Director(Steps):
    """Runs one conversation's script and fills its record."""

    async def run(self, reuse: VisitorLink | None) -> VisitorLink | None:
        w, rec, rng = self.w, self.rec, self.rng
        if reuse is not None:  # a new chat on the socket of an ended one (same session)
            self.link = reuse
            reuse.live = self.live
            conn = VisitorConn(1, reuse.process, self.now())
            rec.conns.append(conn)
            reuse.conn = conn
            self.token = str((reuse.session or {}).get("token", ""))
            rec.note(self.now(), f"visitor starts again on its connection on P{reuse.process}")
        else:
            self.link = VisitorLink(w, self.http, rng.randrange(len(w.urls)), self.live)
            conn = VisitorConn(1, self.link.process, self.now())
            rec.conns.append(conn)
            session = await self.link.open(conn, None)
            self.token = str(session.get("token"))
            rec.note(self.now(), f"visitor connected to P{self.link.process}")
        params = {
            "locale": "sv",
            "audience": rng.choice(["self", "self", "other", "professional"]),
            "topic": rng.choice(["control", "marriage", "fgm", "violence", "other", None]),
            "urgent": rng.random() < 0.1,
            "age_band": rng.choice(["13-15", "16-17", "18-21", "22-26", "over-26", None]),
        }
        how = rng.random()
        if how < 0.05 and reuse is None:
            ack = await self.start_then_cut(params)
            if ack is None:
                return None
        elif how < 0.12:
            ack = await self.double_start(params)
        else:
            ack = await self.link.call("start", params)
        if not ack.get("ok") or rec.broken:
            if not ack.get("ok"):
                rec.fault("conversation_stuck", f"start refused: {ack}", broken=True)
            await self.clean_up()
            return None
        rec.id = str(ack["conversation"]["id"])
        rec.pseudonym = str((self.link.session or {}).get("pseudonym", ""))
        w.register(self.live)
        rec.note(self.now(), f"start -> {rec.id} ({ack['conversation'].get('state')})")
        if rng.random() < 0.5:
            await self.visitor_says()  # allowed while waiting
        if rng.random() < 0.15:
            await self.drop(waiting=True)
        if rec.broken or not await self.wait_holder(0, "after start", w.task["queue_timeout_s"]):
            await self.clean_up()
            return None
        for _ in range(rng.randint(3, 10)):
            if w.stopping or rec.broken or self.ended_early():
                break
            await self.step()
            await self.think()
        if rec.broken or self.ended_early():
            await self.clean_up()
            return None
        return await self.end()

    async def double_start(self, params: dict[str, Any]) -> dict[str, Any]:
        """Two `start` at once on one socket (a double tap): one conversation."""
        assert self.link is not None
        self.w.counts["two starts at once"] += 1
        acks = await asyncio.gather(self.link.call("start", params), self.link.call("start", params))
        ids = [str(a["conversation"]["id"]) for a in acks if a.get("ok")]
        self.rec.note(self.now(), f"two start at once -> {ids}")
        if len(set(ids)) > 1:
            self.w.spares.update(ids)  # whoever is given either ends it
            self.rec.id = ids[0]
            self.rec.fault(
                "conversation_duplicated",
                f"two start events sent together on one connection (P{self.link.process}) created {ids}; the "
                "socket is in both rooms",
                broken=True,
            )
        return acks[0]

    async def start_then_cut(self, params: dict[str, Any]) -> dict[str, Any] | None:
        """`start`, and the connection is cut at once (no goodbye). Half the time the
        visitor never comes back (its chat must be swept after the grace period, never
        shown connected); otherwise it resumes and carries on with whatever the server
        made of the start."""
        assert self.link is not None
        await self.link.send_unacked("start", params)
        t, pseudonym = self.now(), str((self.link.session or {}).get("pseudonym"))
        conn = self.conn()
        conn.t_cut, conn.cut = t, "abort"
        self.link.cut("abort")
        self.w.counts["starts cut at once"] += 1
        if self.rng.random() < 0.5:
            self.w.counts["starts cut at once, visitor never back"] += 1
            self.w.gone_at_start[pseudonym] = (t, int(time.time() * 1000))
            self.w.spawn(self.w.check_gone(pseudonym, t, int(time.time() * 1000)))
            self.rec.note(t, f"visitor {pseudonym} sent start and vanished")
            return None
        self.rec.note(t, "visitor sent start; the connection was cut before its ack")
        await self.think(0.5)
        self.link = VisitorLink(self.w, self.http, self.rng.randrange(len(self.w.urls)), self.live)
        resumed = VisitorConn(2, self.link.process, self.now(), resumed=True)
        self.rec.conns.append(resumed)
        session = await self.link.open(resumed, self.token)
        self.token = str(session.get("token") or self.token)
        got = session.get("conversation")
        self.rec.note(self.now(), f"visitor resumed on P{self.link.process}: session.conversation {got}")
        if got:
            return {"ok": True, "conversation": got}
        return await self.link.call("start", params)

    async def step(self) -> None:
        if not await self.settled():
            return
        rec, rng = self.rec, self.rng
        invited = [t for t in rec.tenures if t.role == "invited" and t.open]
        weights = {
            "exchange": 50,
            "drop": 16,
            "transfer_colleague": 7,
            "transfer_queue": 6,
            "invite": 5 if len(invited) < 1 else 0,
            "leave": 4 if invited else 0,
            "referral": 4 if self.w.receivers else 0,
            "followup": 1,
        }
        action = rng.choices(list(weights), list(weights.values()))[0]
        rec.note(self.now(), f"step: {action}")
        await getattr(self, action)()

    async def end(self) -> VisitorLink | None:
        rec, live, rng = self.rec, self.live, self.rng
        assert self.link is not None
        # No new abandonment once the soak is ending: it keeps the drain waiting a grace period.
        abandon = 0 if self.w.stopping else 1
        how = rng.choices(["visitor_ended", "operator_ended", "visitor_exit", "abandoned"], [4, 4, 2, abandon])[0]
        if how == "operator_ended":
            await self.settled()  # the holder of the moment, connected (not one whose console is away)
        holder = live.holder
        if how == "operator_ended" and holder is None:
            how = "visitor_ended"
        rec.ended_by, rec.t_end = how, self.now()
        if how == "abandoned":
            await self.abandon()
            return None
        if how == "operator_ended":
            assert holder is not None
            triage = TRIAGE if rng.random() < 0.5 else None
            away, drops = not holder.online.is_set(), holder.drops
            ack = await holder.call("end", {"conversation_id": rec.id, "triage": triage})
            if not ack.get("ok") and (away or holder.drops != drops):  # their drop: the visitor ends it
                rec.ended_by, rec.ended_by_also = "visitor_ended", "operator_ended"
                how = "visitor_ended"
                ack = await self.link.call("end", {})
        else:
            ack = await self.link.call("end" if how == "visitor_ended" else "exit", {})
        rec.note(self.now(), f"end ({how}): {'ok' if ack.get('ok') else ack.get('error')}")
        if not ack.get("ok"):
            who = self.w.who(holder.staff_id) if how == "operator_ended" and holder else "the visitor"
            rec.fault("end_refused", f"end ({how}) by {who} refused at {self.now():.2f}s", f"  ack: {ack}", broken=True)
            await self.clean_up()
            return None
        conn = self.conn()
        await live.until(lambda: bool(conn.ended) and not any(t.open for t in rec.tenures), 15)
        if how == "visitor_exit" and rng.random() < 0.3:
            await self.resume_after_exit()
        elif how == "visitor_ended" and rng.random() < 0.25 and not self.w.stopping:
            conn.t_cut, conn.cut = self.now(), "after_end"
            self.w.counts["new chats on the socket of an ended one"] += 1
            return self.link  # the next conversation starts on this socket
        conn.t_cut, conn.cut = self.now(), "after_end"
        await self.link.close()
        return None

    async def abandon(self) -> None:
        """The visitor vanishes for good: the servers end the chat ``abandoned`` once
        the grace period is over (plus the ping timeout when the network just went
        silent), and tell the staff."""
        assert self.link is not None
        kind = self.rng.choice(["abort", "silent"])
        if self.w.task["grace_s"] < 30:
            kind = "abort"  # a silent network is found by the ping timeout (up to 40 s): too slow here
        self.w.counts["visitors gone for good (abandoned)"] += 1
        conn = self.conn()
        conn.t_cut, conn.cut = self.now(), kind
        self.link.cut(kind)
        self.rec.note(self.now(), f"visitor gone for good ({kind})")
        grace = self.w.task["grace_s"] + (45 if kind == "silent" else 0) + 30
        await self.live.until(lambda: not any(t.open for t in self.rec.tenures), grace)

    async def resume_after_exit(self) -> None:
        """A quick exit forgets the session: its token must not bring anything back."""
        assert self.link is not None
        self.w.counts["resumes tried after a quick exit"] += 1
        await self.link.close()
        process = self.rng.randrange(len(self.w.urls))
        self.link = VisitorLink(self.w, self.http, process, self.live)
        conn = VisitorConn(len(self.rec.conns) + 1, process, self.now(), resumed=True)
        session = await self.link.open(conn, self.token)
        same = session.get("token") == self.token
        if session.get("conversation") is not None or same:
            self.rec.fault(
                "resumed_after_exit",
                f"after the quick exit, a resume with its token on P{process} got conversation "
                f"{session.get('conversation')} and {'the same' if same else 'a new'} token",
            )
        await self.link.close()


async def run_conversation(
    world: World, http: aiohttp.ClientSession, rec: ConvRecord, reuse: VisitorLink | None
) -> VisitorLink | None:
    """Run one conversation's script; returns the visitor socket when the next
    conversation of the slot is to start on it."""
    director = Director(world, http, Live(rec))
    try:
        return await director.run(reuse)
    except Exception:  # noqa: BLE001 - recorded as a fault of this conversation
        rec.fault("soak_error", "the conversation's script failed", *traceback.format_exc().splitlines(), broken=True)
        if director.link is not None:
            await director.link.close()
        return None
    except asyncio.CancelledError:
        rec.fault("soak_error", "the conversation's script did not finish in time after the soak's end", broken=True)
        raise
