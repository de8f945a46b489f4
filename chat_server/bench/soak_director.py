"""The soak's conversation script: one visitor from ``start`` to the end, with the
operators of soak_actors.py on the other side.

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
import random
import traceback
from typing import Any

import aiohttp

from .soak_actors import Live, OperatorActor, VisitorLink, World, shown_of
from .soak_records import ConvRecord, Drop, Referral, Sent, VisitorConn

# Short texts in the product's languages (RTL and Ethiopic script included) and one long.
TEXTS = [
    "Hej, jag behöver prata med någon.",
    "Jag vet inte riktigt hur jag ska säga det här.",
    "مرحبا، أحتاج إلى مساعدة",
    "سلام، می‌خواهم با کسی صحبت کنم",
    "ሰላም፣ ክትሕግዙኒ ትኽእሉ ዶ?",
    "Merhaba, biriyle konuşmak istiyorum.",
    "Silav, ez dixwazim bi kesekî re biaxivim.",
    "Tack, det hjälper.",
    "Okej 👍",
    "Det här är ett längre meddelande. " * 60,
]
TRIAGE = {"categories": ["other"], "risk": "low"}
ORPHAN_GRACE_S = 15.0


class Director:
    """Runs one conversation's script and fills its record."""

    def __init__(self, world: World, http: aiohttp.ClientSession, live: Live) -> None:
        self.w = world
        self.http = http
        self.live = live
        self.rec = live.rec
        self.rng = random.Random(f"{world.task['seed']}-{self.rec.slot}-{self.rec.seq}")
        self.link: VisitorLink | None = None
        self.token = ""
        self._n = 0

    # helpers ----------------------------------------------------------------------------
    def now(self) -> float:
        return self.w.now()

    def conn(self) -> VisitorConn:
        return self.rec.conns[-1]

    async def think(self, scale: float = 1.0) -> None:
        pace = self.w.task["think_s"] * scale
        await asyncio.sleep(self.rng.uniform(0.3 * pace, 1.7 * pace))

    def _new_sent(self, by: str, internal: bool = False) -> Sent:
        self._n += 1
        side = "v" if by == "visitor" else "o"
        s = Sent(
            self._n,
            f"s{self.rec.slot}-{self.rec.seq}-{side}{self._n}",
            by,
            self.now(),
            self.rng.choice(TEXTS).strip(),
            internal=internal,
            tenure=self.rec.holder_tenure(),
        )
        self.rec.sent.append(s)
        return s

    def _acked(self, s: Sent, ack: dict[str, Any], who: str) -> None:
        if ack.get("ok"):
            s.ack_id, s.ack_t = str(ack.get("id")), self.now()
            self.rec.note(s.ack_t, f"{who} sent {s.client_id}{' (note)' if s.internal else ''}: ack {s.ack_id}")
            return
        s.refused = str(ack.get("error", {}).get("code"))
        self.rec.fault(
            "message_refused",
            f"{s.client_id} from {who} refused with {s.refused} at {self.now():.2f}s",
            f"  ack: {ack}",
        )

    async def visitor_says(self) -> None:
        assert self.link is not None
        s = self._new_sent("visitor")
        ack = await self.link.call("message", {"client_id": s.client_id, "text": s.text})
        self._acked(s, ack, "the visitor")

    async def staff_says(self, op: OperatorActor, internal: bool = False) -> None:
        s = self._new_sent(op.staff_id, internal)
        payload = {"conversation_id": self.rec.id, "client_id": s.client_id, "text": s.text}
        ack = await op.call("note" if internal else "message", payload)
        self._acked(s, ack, op.name)

    async def wait_holder(self, after: int, what: str, timeout: float) -> bool:
        """Until a holder tenure newer than ``after`` tenures is open. A chat the visitor
        is told is active while no console holds it is stuck at once (after a grace)."""
        live, rec = self.live, self.rec

        def settled() -> bool:
            i = rec.holder_tenure()
            return i is not None and i >= after and live.holder is not None

        def orphaned() -> float | None:
            states = [(t, s) for c in rec.conns for t, s in c.states]
            return states[-1][0] if states and states[-1][1] == "active" and not settled() else None

        deadline = self.now() + timeout
        while self.now() < deadline:
            if await live.until(settled, 1.0):
                return True
            since = orphaned()
            if since is not None and self.now() - since > ORPHAN_GRACE_S:
                who = self.w.who
                held = [f"  {who(t.staff_id)} {t.role} via {t.how} {t.t_start:.2f}s: {t.end}" for t in rec.tenures]
                rec.fault(
                    "conversation_stuck",
                    f"{what}: the visitor was told at {since:.2f}s the chat is active, but no console holds it",
                    *held,
                    broken=True,
                )
                return False
        rec.fault("conversation_stuck", f"{what}: no operator got the chat within {timeout:.0f}s", broken=True)
        return False

    def ended_early(self) -> bool:
        """The conversation ended although the soak did not end it."""
        seen = [r for c in self.rec.conns for _t, r in c.ended]
        staff = [t.end for t in self.rec.tenures if t.end and t.end.startswith("ended:")]
        if seen or staff:
            self.rec.fault(
                "conversation_ended_unexpectedly",
                f"ended while the soak was still talking: visitor got {seen or 'nothing'}, staff got "
                f"{staff or 'nothing'}",
                broken=True,
            )
            return True
        return False

    # the script -------------------------------------------------------------------------
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
        ack = await self.link.call(
            "start",
            {
                "locale": "sv",
                "audience": rng.choice(["self", "self", "other", "professional"]),
                "topic": rng.choice(["control", "marriage", "fgm", "violence", "other", None]),
                "urgent": rng.random() < 0.1,
                "age_band": rng.choice(["13-15", "16-17", "18-21", "22-26", "over-26", None]),
            },
        )
        if not ack.get("ok"):
            rec.fault("conversation_stuck", f"start refused: {ack}", broken=True)
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

    async def clean_up(self) -> None:
        """A broken conversation is not judged further; end it so that it does not stay
        live on the servers (and is not counted as left over)."""
        if self.link is not None and self.link.sock is not None:
            await self.link.call("end", {})
            self.rec.note(self.now(), "ended by the visitor to clean up")
            await self.link.close()

    async def step(self) -> None:
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

    async def exchange(self) -> None:
        """Both sides write at once, each one message at a time (waiting for its ack)."""
        holder = self.live.holder
        assert holder is not None
        nv, no = self.rng.randint(0, 3), self.rng.randint(1, 3)
        invitee = next((t for t in self.rec.tenures if t.role == "invited" and t.open), None)

        async def visitor() -> None:
            for _ in range(nv):
                await self.visitor_says()
                await self.think(0.3)

        async def staff() -> None:
            for _ in range(no):
                await self.staff_says(holder, internal=self.rng.random() < 0.1)
                await self.think(0.3)
            if invitee is not None and self.rng.random() < 0.5:
                op = next(o for o in self.w.operators if o.staff_id == invitee.staff_id)
                await self.staff_says(op)

        await asyncio.gather(visitor(), staff())

    async def drop(self, waiting: bool = False) -> None:
        """Cut the visitor's connection without a goodbye, let the operator write
        meanwhile, then resume with the token on the same or the other process."""
        w, rec, rng, live = self.w, self.rec, self.rng, self.live
        assert self.link is not None
        kind = rng.choices(["abort", "silent", "close"], [6, 2, 2])[0]
        holder = live.holder
        typing = kind != "silent" and holder is not None and rng.random() < 0.5
        if typing:
            await self.link.call("typing", {"active": True})
            await asyncio.sleep(0.05)
        in_flight = None
        if rng.random() < 0.3:
            in_flight = self._new_sent("visitor")
            in_flight.first_unacked = True
            await self.link.send_unacked("message", {"client_id": in_flight.client_id, "text": in_flight.text})
            self.rec.note(self.now(), f"visitor sent {in_flight.client_id}, the connection is cut before its ack")
        t = self.now()
        rec.drops.append(
            Drop(t, kind, typing, in_flight.client_id if in_flight else None, holder.staff_id if holder else None)
        )
        drop = rec.drops[-1]
        drop.process_from = self.link.process
        conn = self.conn()
        conn.t_cut, conn.cut = t, kind
        self.link.cut(kind)
        if kind != "silent":
            live.visitor_down_since = t
        rec.note(t, f"visitor connection cut ({kind}){' after typing' if typing else ''}")
        if holder is not None and not waiting:
            for _ in range(rng.randint(0, 2)):
                await self.staff_says(holder)
            if w.receivers and rng.random() < 0.3:
                await self.referral(during_drop=True)
            if rng.random() < 0.05:
                await self.followup(during_drop=True)
        await self.think(1.5)
        await self.resume(drop, in_flight)

    async def resume(self, drop: Drop, in_flight: Sent | None) -> None:
        w, rec, live = self.w, self.rec, self.live
        process = self.rng.randrange(len(w.urls))
        self.link = VisitorLink(w, self.http, process, live)
        conn = VisitorConn(len(rec.conns) + 1, process, self.now(), resumed=True)
        rec.conns.append(conn)
        session = await self.link.open(conn, self.token)
        live.visitor_down_since = None
        drop.t_resume, drop.process_to = self.now(), process
        got = conn.session_conversation
        rec.note(self.now(), f"visitor resumed on P{process}: session.conversation {got}")
        if got != rec.id:
            rec.fault(
                "conversation_lost",
                f"resume on P{process} at {self.now():.2f}s re-attached {got!r}, not {rec.id}",
                f"  the connection was cut ({drop.kind}) at {drop.t:.2f}s on P{drop.process_from}",
                broken=True,
            )
            return
        self.token = str(session.get("token") or self.token)
        if not await live.until(lambda: conn.history is not None, 15):
            rec.fault("conversation_lost", f"no history within 15 s of the resume on P{process}", broken=True)
            return
        if in_flight is not None:  # the widget's outbox sends it again, same client_id
            in_flight.attempts += 1
            ack = await self.link.call("message", {"client_id": in_flight.client_id, "text": in_flight.text})
            self._acked(in_flight, ack, "the visitor (resent)")

    async def transfer_colleague(self) -> None:
        rec, live = self.rec, self.live
        holder = live.holder
        assert holder is not None
        target = self.rng.choice([o for o in self.w.operators if o is not holder])
        before = len(rec.tenures)
        note = "Överlämning: har pratat om skolan." if self.rng.random() < 0.5 else None
        ack = await holder.call("transfer", {"conversation_id": rec.id, "to": target.staff_id, "note": note})
        rec.note(self.now(), f"transfer to {target.name}: {'ok' if ack.get('ok') else ack.get('error')}")
        if ack.get("ok") and not await live.until(lambda: live.holder is target and len(rec.tenures) > before, 15):
            rec.fault(
                "conversation_stuck",
                f"transfer to {self.w.who(target.staff_id)} acknowledged, but it never got assigned",
                broken=True,
            )

    async def transfer_queue(self) -> None:
        rec, live = self.rec, self.live
        holder = live.holder
        assert holder is not None
        before, t = len(rec.tenures), self.now()
        ack = await holder.call("transfer", {"conversation_id": rec.id, "to": "queue", "note": None})
        rec.note(self.now(), f"transfer to the queue: {'ok' if ack.get('ok') else ack.get('error')}")
        if not ack.get("ok"):
            return
        again = [x for x in rec.tenures[before:] if x.staff_id == holder.staff_id and x.role == "holder"]
        if again and again[0].end == "released:transferred":
            # Offered back to them and accepted while their own transfer was still
            # being handled: the `released` of the transfer came after the new
            # `assigned`, so their console drops a chat the server has given them.
            rec.fault(
                "stale_release",
                f"{self.w.who(holder.staff_id)} handed the chat to the queue at {t:.2f}s, accepted it again "
                f"at {again[0].t_start:.2f}s, then got released {{reason: transferred}} at {again[0].t_end:.2f}s",
            )
        if self.rng.random() < 0.5:
            await self.visitor_says()  # while back in the queue
        await self.wait_holder(before, "after the transfer to the queue", self.w.task["queue_timeout_s"])

    async def invite(self) -> None:
        rec, live = self.rec, self.live
        holder = live.holder
        assert holder is not None
        busy = {t.staff_id for t in rec.tenures if t.open}
        choices = [o for o in self.w.operators if o.staff_id not in busy]
        if not choices:
            return
        target = self.rng.choice(choices)
        ack = await holder.call("invite", {"conversation_id": rec.id, "to": target.staff_id})
        rec.note(self.now(), f"invite {target.name}: {'ok' if ack.get('ok') else ack.get('error')}")
        if not ack.get("ok"):
            return
        tenure = rec.open_tenure(holder.staff_id)
        if tenure is not None:
            tenure.shown |= shown_of(ack.get("conversation"))
        if not await live.until(lambda: rec.open_tenure(target.staff_id) is not None, 15):
            rec.fault("conversation_stuck", f"invite of {self.w.who(target.staff_id)} acknowledged, never invited")

    async def leave(self) -> None:
        rec = self.rec
        tenure = next((t for t in rec.tenures if t.role == "invited" and t.open), None)
        if tenure is None:
            return
        op = next(o for o in self.w.operators if o.staff_id == tenure.staff_id)
        ack = await op.call("leave", {"conversation_id": rec.id})
        if ack.get("ok"):
            await self.live.until(lambda: not tenure.open, 10)

    async def referral(self, during_drop: bool = False) -> None:
        holder = self.live.holder
        assert holder is not None
        targets = self.rng.sample(self.w.receivers, k=min(len(self.w.receivers), self.rng.randint(1, 2)))
        ack = await holder.call("referral", {"conversation_id": self.rec.id, "targets": targets})
        if ack.get("ok"):
            cards = [str(c.get("id")) for c in ack.get("cards") or []]
            self.rec.referrals.append(Referral(self.now(), holder.staff_id, cards, during_drop))

    async def followup(self, during_drop: bool = False) -> None:
        holder = self.live.holder
        assert holder is not None
        ack = await holder.call(
            "followup_summary", {"conversation_id": self.rec.id, "summary": "Pratade om stöd i skolan."}
        )
        if ack.get("ok"):
            self.rec.followups.append((self.now(), during_drop))

    async def end(self) -> VisitorLink | None:
        rec, live, rng = self.rec, self.live, self.rng
        assert self.link is not None
        how = rng.choices(["visitor_ended", "operator_ended", "visitor_exit"], [4, 4, 2])[0]
        holder = live.holder
        if how == "operator_ended" and holder is None:
            how = "visitor_ended"
        rec.ended_by, rec.t_end = how, self.now()
        if how == "operator_ended":
            assert holder is not None
            triage = TRIAGE if rng.random() < 0.5 else None
            ack = await holder.call("end", {"conversation_id": rec.id, "triage": triage})
        else:
            ack = await self.link.call("end" if how == "visitor_ended" else "exit", {})
        rec.note(self.now(), f"end ({how}): {'ok' if ack.get('ok') else ack.get('error')}")
        conn = self.conn()
        await live.until(lambda: bool(conn.ended) and not any(t.open for t in rec.tenures), 15)
        if how == "visitor_exit" and rng.random() < 0.3:
            await self.resume_after_exit()
        elif how == "visitor_ended" and rng.random() < 0.25 and not self.w.stopping:
            conn.t_cut, conn.cut = self.now(), "after_end"
            return self.link  # the next conversation starts on this socket
        conn.t_cut, conn.cut = self.now(), "after_end"
        await self.link.close()
        return None

    async def resume_after_exit(self) -> None:
        """A quick exit forgets the session: its token must not bring anything back."""
        assert self.link is not None
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
