"""The base of a soak conversation's script: its state (the record, the visitor's
socket and resume token, its own random generator) and what every step uses: sending a
message and recording its ack, waiting for an operator to hold the chat.

The script itself is soak_director.py; its steps are soak_steps.py.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp

from .soak_operator import OperatorActor
from .soak_records import Sent, VisitorConn
from .soak_visitor import VisitorLink
from .soak_world import Live, World

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
# A chat the visitor is told is active while no console holds it: stuck after this.
ORPHAN_GRACE_S = 15.0


class Script:
    """State and helpers of one conversation's script."""

    def __init__(self, world: World, http: aiohttp.ClientSession, live: Live) -> None:
        self.w = world
        self.http = http
        self.live = live
        self.rec = live.rec
        self.rng = random.Random(f"{world.task['seed']}-{self.rec.slot}-{self.rec.seq}")
        self.link: VisitorLink | None = None
        self.token = ""
        self._n = 0

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
        away, drops = not op.online.is_set(), op.drops
        ack = await op.call("note" if internal else "message", payload)
        if not ack.get("ok") and (away or op.drops != drops):
            # The console's connection dropped before or while sending. Like the
            # widget's outbox, the console sends an unanswered message again with the
            # same client_id once it is back; a refusal then (the chat went back to the
            # queue while they were away) is what the servers should answer.
            if ack.get("error", {}).get("code") == "no_ack":
                s.first_unacked, s.attempts = True, 2
                ack = await op.call("note" if internal else "message", payload)
            if not ack.get("ok"):
                s.refused = str(ack.get("error", {}).get("code"))
                self.rec.note(self.now(), f"{op.name} could not send {s.client_id} after their drop: {s.refused}")
                return
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

    async def settled(self) -> bool:
        """Until the chat has a holder whose console is connected (a holder's drop
        pauses the script; after the operator grace the chat goes to someone else)."""
        live = self.live
        if await live.until(lambda: live.holder is not None and live.holder.online.is_set(), 300):
            return True
        self.rec.fault("conversation_stuck", "no connected operator held the chat for 300 s", broken=True)
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

    async def clean_up(self) -> None:
        """A broken conversation is not judged further; end it so that it does not stay
        live on the servers (and is not counted as left over)."""
        if self.link is not None and self.link.sock is not None:
            await self.link.call("end", {})
            self.rec.note(self.now(), "ended by the visitor to clean up")
            await self.link.close()
