from __future__ import annotations

from chat_server.services.domain import Conversation
from chat_server.services.queue import queue_score, wait_estimate


def conv(since, urgent=False, age_band=None):
    return Conversation(
        id=f"c{since}",
        state="waiting",
        created_at=since,
        waiting_since=since,
        locale="sv",
        audience="self",
        pseudonym="K7M2",
        session_key="s",
        urgent=urgent,
        age_band=age_band,
    )


def test_urgent_then_under_18_then_waiting_time():
    items = {
        "adult-early": conv(1_000, age_band="22-26"),
        "child-late": conv(5_000, age_band="13-15"),
        "urgent-latest": conv(9_000, urgent=True),
        "adult-late": conv(2_000),
    }
    order = sorted(items, key=lambda k: queue_score(items[k]))
    assert order == ["urgent-latest", "child-late", "adult-early", "adult-late"]


def test_head_goes_before_its_band_only():
    requeued = conv(9_000)
    assert queue_score(requeued, head=True) < queue_score(conv(1_000))
    assert queue_score(requeued, head=True) > queue_score(conv(9_999, urgent=True))


def test_wait_estimates_are_rough_and_honest():
    assert wait_estimate(1, 0, 600) is None
    assert wait_estimate(1, 2, 600) == 60
    assert wait_estimate(5, 1, 600) % 60 == 0
    assert wait_estimate(5, 1, 600) > wait_estimate(2, 1, 600)
