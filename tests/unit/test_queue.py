from __future__ import annotations

from chat_server.services.domain import Conversation
from chat_server.services.queue import places, queue_score


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


def test_places_skip_visitors_whose_connection_is_gone():
    a, b, c = conv(1_000), conv(2_000), conv(3_000)
    gone = Conversation(**{**b.__dict__, "visitor_connected": False})
    assert places([a, b, c]) == {"c1000": 1, "c2000": 2, "c3000": 3}
    # Nobody behind a gone visitor counts them; their own place is where they would be.
    assert places([a, gone, c]) == {"c1000": 1, "c2000": 2, "c3000": 2}
