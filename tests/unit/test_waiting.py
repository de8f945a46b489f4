"""The wait estimate and the notice (services/waiting.py): pure functions over the
router's view of the queue and of the operators on duty."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from chat_server.services.routing import OperatorState, WaitingChat
from chat_server.services.waiting import SHORT_S, estimates, notice_for, whole_minutes

ALL = frozenset({"individual", "professional"})


def op(name: str, max_chats: int = 2, load: int = 0, audiences: frozenset[str] = ALL) -> OperatorState:
    return OperatorState(name, frozenset({"sv"}), audiences, max_chats, load)


def chat(
    n: int, audience: str = "individual", offered_to: str | None = None, passed: tuple[str, ...] = ()
) -> WaitingChat:
    return WaitingChat(f"c{n}", "sv", audience, n, offered_to, frozenset(passed))


def test_nobody_on_duty_gives_no_estimate():
    assert estimates([chat(1)], [], 600) == {"c1": None}


def test_nobody_taking_the_audience_gives_no_estimate():
    only_individual = op("sara", audiences=frozenset({"individual"}))
    assert estimates([chat(1, "professional"), chat(2)], [only_individual], 600) == {"c1": None, "c2": SHORT_S}


def test_free_places_are_given_in_queue_order_then_the_wait_is_for_places_to_free():
    # Two operators with one free place each, four places in all: two chats get a
    # place now; the third and the fourth wait for the first and the second to free.
    ops = [op("sara", load=1), op("ali", load=1)]
    got = estimates([chat(i) for i in range(1, 5)], ops, 600)
    assert got["c1"] == got["c2"] == SHORT_S
    assert got["c3"] == whole_minutes(1 * 600 / 4) == 180
    assert got["c4"] == whole_minutes(2 * 600 / 4) == 300


def test_a_pending_offer_is_about_a_minute_and_takes_no_other_place():
    ops = [op("sara", max_chats=1, load=1)]  # her one place is the offer
    got = estimates([chat(1, offered_to="sara"), chat(2)], ops, 600)
    assert got == {"c1": SHORT_S, "c2": 600}


def test_an_operator_who_let_the_offer_pass_is_not_a_free_place_for_it():
    # The only operator on duty does not answer: the estimate is no longer "about a
    # minute" but the wait for a place.
    ops = [op("sara", max_chats=1)]
    assert estimates([chat(1, passed=("sara",))], ops, 600) == {"c1": 600}


def test_the_rolling_average_sets_the_pace():
    ops = [op("sara", max_chats=1, load=1)]
    assert estimates([chat(1)], ops, 300)["c1"] == 300
    assert estimates([chat(1)], ops, 1800)["c1"] == 1800


@given(
    st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=5),
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=60, max_value=7200),
)
def test_estimates_are_whole_minutes_and_never_shrink_further_back(loads, n, avg):
    ops = [op(f"op{i}", max_chats=3, load=load) for i, load in enumerate(loads)]
    got = estimates([chat(i) for i in range(n)], ops, avg)
    values = [got[f"c{i}"] for i in range(n)]
    assert all(v is not None and v >= SHORT_S and v % 60 == 0 for v in values)
    assert values == sorted(values)  # type: ignore[type-var]


def test_notice_closed_first_then_nobody_then_long_wait():
    assert notice_for(60, 0, 1200, open_now=False) == "closed"
    assert notice_for(None, 0, 1200, open_now=False) == "closed"
    assert notice_for(None, 0, 1200, open_now=True) == "nobody_on_duty"
    assert notice_for(600, 0, 1200, open_now=True) is None
    # The whole expected wait counts: waited so far plus the estimate.
    assert notice_for(600, 601, 1200, open_now=True) == "long_wait"
    assert notice_for(1260, 0, 1200, open_now=True) == "long_wait"
    assert notice_for(1260, 0, 0, open_now=True) is None  # 0: no limit


def test_whole_minutes():
    assert whole_minutes(0) == 60
    assert whole_minutes(61) == 120
    assert whole_minutes(600) == 600
