"""What a waiting visitor is told: their place, a wait estimate from real capacity, and
a plain notice when the wait cannot be promised (docs/protocol.md, server → ``queue``).

Pure functions over the router's view (services/routing.py) and the rolling average of
handling times (:class:`HandlingTimes`), so the rules are tested without a store.

The estimate, per waiting chat whose visitor is connected, in queue order:

* nobody on duty (present, with a console open) who takes the chat's audience: no
  estimate (``None``);
* the chat has a pending offer, or an operator who takes its audience and has not let
  it pass has a free place (places: ``max_chats`` minus active chats and pending
  offers; each free place is given to one chat, in queue order, as routing does): about
  a minute;
* otherwise it waits for a place to come free: with ``S`` places among the operators
  who take its audience, one frees every ``average handling time / S`` seconds on
  average, so the ``k``-th chat of that audience that waits for a place waits about
  ``k * average / S``.

Visitors whose connection is gone are not counted (they are not offered to anyone
until they are back, services/router.py) and get no estimate of their own. Estimates are
rounded up to whole minutes: false precision makes waiting feel worse.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Literal

from ..storage.base import Ephemeral
from .routing import OperatorState, WaitingChat

log = logging.getLogger(__name__)

#: Why a waiting visitor is offered the national helplines (``notice`` in ``queue``):
#: nobody on duty takes their chat, the expected wait passes ``CHAT_WAIT_LIMIT_S``, or
#: the service has closed (opening hours) while they wait.
Notice = Literal["nobody_on_duty", "long_wait", "closed"]

#: The shortest estimate given: an offer takes a moment to be read and accepted.
SHORT_S = 60


def whole_minutes(seconds: float) -> int:
    """``seconds`` rounded up to whole minutes, at least one minute (in seconds)."""
    return max(SHORT_S, math.ceil(seconds / 60) * 60)


def estimates(queue: list[WaitingChat], operators: list[OperatorState], avg_handle_s: float) -> dict[str, int | None]:
    """Wait estimates in seconds (see the module) for the chats of ``queue`` (in queue
    order; pass only those whose visitor is connected), keyed by chat id; ``None`` when
    nobody on duty takes the chat's audience. ``operators``: on duty and present, with
    their load (active chats plus pending offers)."""
    free = {op.id: max(0, op.max_chats - op.load) for op in operators}
    waiting_for_place: dict[str, int] = {}
    out: dict[str, int | None] = {}
    for chat in queue:
        takers = [op for op in operators if chat.audience in op.audiences]
        if not takers:
            out[chat.id] = None
            continue
        if chat.offered_to is not None:
            out[chat.id] = SHORT_S
            continue
        ready = [op for op in takers if free[op.id] > 0 and op.id not in chat.passed]
        if ready:
            free[max(ready, key=lambda op: free[op.id]).id] -= 1
            out[chat.id] = SHORT_S
            continue
        k = waiting_for_place[chat.audience] = waiting_for_place.get(chat.audience, 0) + 1
        places = sum(op.max_chats for op in takers)
        out[chat.id] = whole_minutes(k * avg_handle_s / max(1, places))
    return out


def notice_for(estimate_s: int | None, waited_s: float, limit_s: int, open_now: bool) -> Notice | None:
    """The notice for one waiting visitor, or None. ``closed`` first (the service has
    closed while they wait; a counsellor still on duty may still take the chat), then
    ``nobody_on_duty`` (no estimate), then ``long_wait``: the whole expected wait (what
    they have waited plus the estimate) passes ``limit_s`` (0: never)."""
    if not open_now:
        return "closed"
    if estimate_s is None:
        return "nobody_on_duty"
    if limit_s > 0 and waited_s + estimate_s > limit_s:
        return "long_wait"
    return None


# --- the rolling average of handling times ---------------------------------------------
#: Where the average lives in the ephemeral store: one aggregate record, never anything
#: per conversation (and nothing of it reaches the durable store).
KIND, KEY = "aggregate", "handling_time"
#: Weight of the newest chat in the average (an exponential moving average: the last
#: twenty or so chats count). The configured ``avg_handle_time_s`` is where it starts.
WEIGHT = 0.1
#: A chat counts with at least a minute and at most two hours, so one chat left open
#: for hours does not make every estimate a lie.
CLAMP_S = (60.0, 7200.0)
#: The average is forgotten after a week without an answered chat.
TTL_S = 7 * 24 * 3600
_TRIES = 5


@dataclass
class HandlingTimes:
    """The rolling average of how long an answered chat holds an operator's place
    (from ``accept`` to its end), shared by every process through the ephemeral store.

    ``default_s``: ``CHAT_AVG_HANDLE_TIME_S``, the start value (and the value while the
    store does not answer)."""

    eph: Ephemeral
    default_s: float

    async def average_s(self) -> float:
        """The current average in seconds."""
        record = await self.eph.get(KIND, KEY)
        if not isinstance(record, dict) or not isinstance(record.get("avg_s"), int | float):
            return self.default_s
        return float(record["avg_s"])

    async def add(self, seconds: float) -> None:
        """Add one answered chat's handling time (compare-and-set on the record's
        version, so two processes adding at once both count)."""
        sample = min(max(seconds, CLAMP_S[0]), CLAMP_S[1])
        for _ in range(_TRIES):
            record = await self.eph.get(KIND, KEY)
            if not isinstance(record, dict):
                first = {"avg_s": self.default_s * (1 - WEIGHT) + sample * WEIGHT, "v": 1}
                if await self.eph.add(KIND, KEY, first, TTL_S):
                    return
                continue
            avg = float(record.get("avg_s") or self.default_s)
            new = {"avg_s": avg * (1 - WEIGHT) + sample * WEIGHT, "v": int(record.get("v") or 0) + 1}
            if await self.eph.update(KIND, KEY, new, expect={"v": record.get("v")}, ttl=TTL_S) is not None:
                return
        log.info("handling time not added: the average changed too often meanwhile")
