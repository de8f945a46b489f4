"""Aggregate statistics: counters per day, nothing per conversation.

A conversation contributes one increment to a handful of ``dimension:value`` counters
when it ends and is then forgotten. No counter is keyed by anything that identifies a
conversation, and times are coarsened into buckets before they are counted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..storage.base import Durable

TZ = ZoneInfo("Europe/Stockholm")

WAIT_BUCKETS = ((60, "0-1m"), (300, "1-5m"), (900, "5-15m"), (1800, "15-30m"))
DURATION_BUCKETS = ((300, "0-5m"), (900, "5-15m"), (1800, "15-30m"), (3600, "30-60m"))


def bucket(seconds: float, buckets: tuple[tuple[int, str], ...], last: str) -> str:
    for limit, name in buckets:
        if seconds < limit:
            return name
    return last


def day_of(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, TZ).date().isoformat()


def conversation_counters(conv: dict[str, Any], reason: str, now_ms: int) -> dict[str, int]:
    """The counters one ended conversation adds to its day."""
    counters = {
        "conversations:total": 1,
        f"audience:{conv.get('audience') or 'unknown'}": 1,
        f"topic:{conv.get('topic') or 'none'}": 1,
        f"language:{conv.get('locale') or 'unknown'}": 1,
        f"age_band:{conv.get('age_band') or 'unknown'}": 1,
        f"urgent:{'yes' if conv.get('urgent') else 'no'}": 1,
        f"outcome:{reason}": 1,
    }
    accepted = conv.get("accepted_at")
    if accepted:
        wait_s = (accepted - conv["created_at"]) / 1000
        counters[f"wait:{bucket(wait_s, WAIT_BUCKETS, '30m+')}"] = 1
        duration_s = (now_ms - accepted) / 1000
        counters[f"duration:{bucket(duration_s, DURATION_BUCKETS, '60m+')}"] = 1
    else:
        counters["wait:unanswered"] = 1
    return counters


class Stats:
    def __init__(self, durable: Durable) -> None:
        self._durable = durable

    async def record(self, ts_ms: int, counters: dict[str, int]) -> None:
        if counters:
            await self._durable.add_stats(day_of(ts_ms), counters)

    async def totals(self, first_day: str, last_day: str) -> list[tuple[str, str, int]]:
        return await self._durable.get_stats(first_day, last_day)
