"""Queue order and wait estimates.

Order: urgent ("I am in danger now") first, then visitors under 18, then the longest
waiting. The order is encoded in one sortable score so that every store (memory or a
Redis sorted set shared by all nodes) keeps the same order without extra logic.
"""

from __future__ import annotations

from typing import Any

QUEUE_INDEX = "queue"
UNDER_18_BANDS = frozenset({"13-15", "16-17"})
_BAND = 10**13  # larger than any millisecond timestamp for centuries


def priority_band(conversation: dict[str, Any]) -> int:
    if conversation.get("urgent"):
        return 0
    if conversation.get("age_band") in UNDER_18_BANDS:
        return 1
    return 2


def queue_score(conversation: dict[str, Any], head: bool = False) -> float:
    """Sort key; ``head`` puts a chat before everyone of its band (e.g. when its operator
    dropped and it goes back to the queue)."""
    since = 0 if head else int(conversation["waiting_since"])
    return float(priority_band(conversation) * _BAND + since)


def wait_estimate(position: int, on_duty: int, avg_handle_s: int) -> int | None:
    """A deliberately rough estimate: the chats ahead shared among on-duty operators.

    None when nobody is on duty (we don't promise what we can't estimate).
    """
    if on_duty <= 0:
        return None
    rounds = (position - 1) // on_duty + 1
    estimate = rounds * avg_handle_s // 2 if position > on_duty else 60
    # Round to whole minutes: false precision makes waiting feel worse.
    return max(60, (estimate // 60) * 60)
