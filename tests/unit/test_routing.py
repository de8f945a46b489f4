"""The pure routing decision (services/routing.plan), checked with property-based tests:
no operator over their maximum, every offer allowed by the skills or the fallback, no
idle capacity while a chat someone could take waits, and in a simulation where
operators accept, decline and finish chats at random, no chat starves."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from chat_server.services.routing import (
    OperatorState,
    RoutingPolicy,
    WaitingChat,
    eligible,
    operator_audience,
    plan,
)

LOCALES = ["sv", "ar", "fa", "so", "ti"]
AUDIENCES = ["individual", "professional"]
POLICY = RoutingPolicy(language_fallback_ms=120_000)
NOW = 10_000_000


def operators_strategy() -> st.SearchStrategy[list[OperatorState]]:
    op = st.builds(
        lambda i, langs, auds, mx, load, idle: OperatorState(
            f"op{i}", frozenset(langs), frozenset(auds), mx, min(load, mx + 1), idle
        ),
        st.integers(0, 10_000),
        st.sets(st.sampled_from(LOCALES), max_size=3),
        st.sets(st.sampled_from(AUDIENCES), min_size=1),
        st.integers(1, 4),
        st.integers(0, 5),
        st.integers(0, NOW),
    )
    return st.lists(op, max_size=6, unique_by=lambda o: o.id)


def queue_strategy() -> st.SearchStrategy[list[WaitingChat]]:
    chat = st.builds(
        lambda i, loc, aud, waited: WaitingChat(f"c{i}", loc, aud, NOW - waited),
        st.integers(0, 10_000),
        st.sampled_from(LOCALES),
        st.sampled_from(AUDIENCES),
        st.integers(0, 400_000),
    )
    return st.lists(chat, max_size=15, unique_by=lambda c: c.id)


@given(operators_strategy(), queue_strategy())
def test_no_operator_exceeds_maximum(ops: list[OperatorState], queue: list[WaitingChat]) -> None:
    offers = plan(queue, ops, NOW, POLICY)
    for op in ops:
        new = sum(1 for a in offers if a.operator_id == op.id)
        assert new == 0 or op.load + new <= op.max_chats


@given(operators_strategy(), queue_strategy())
def test_every_offer_is_allowed_and_once(ops: list[OperatorState], queue: list[WaitingChat]) -> None:
    offers = plan(queue, ops, NOW, POLICY)
    by_id = {op.id: op for op in ops}
    chats = {c.id: c for c in queue}
    assert len({a.chat_id for a in offers}) == len(offers)
    for a in offers:
        op, chat = by_id[a.operator_id], chats[a.chat_id]
        assert eligible(op, chat, NOW, POLICY)
        assert a.interpreter_needed == (chat.locale not in op.languages)


@given(operators_strategy(), queue_strategy())
def test_no_idle_capacity_while_a_takeable_chat_waits(ops: list[OperatorState], queue: list[WaitingChat]) -> None:
    offers = plan(queue, ops, NOW, POLICY)
    load = {op.id: op.load + sum(1 for a in offers if a.operator_id == op.id) for op in ops}
    offered = {a.chat_id for a in offers}
    for chat in queue:
        if chat.id in offered:
            continue
        for op in ops:
            assert not (load[op.id] < op.max_chats and eligible(op, chat, NOW, POLICY)), (chat, op)


@given(operators_strategy(), queue_strategy())
def test_earlier_chats_are_served_first(ops: list[OperatorState], queue: list[WaitingChat]) -> None:
    """A later chat never takes the last place an earlier chat could have had."""
    offers = plan(queue, ops, NOW, POLICY)
    offered = {a.chat_id: a.operator_id for a in offers}
    position = {c.id: i for i, c in enumerate(queue)}
    by_id = {op.id: op for op in ops}
    for earlier in queue:
        if earlier.id in offered:
            continue
        for later_id, op_id in offered.items():
            if position[later_id] > position[earlier.id]:
                assert not eligible(by_id[op_id], earlier, NOW, POLICY)


def test_same_language_first_then_fallback_with_interpreter() -> None:
    sv = OperatorState("sv-op", frozenset({"sv"}), frozenset(AUDIENCES), 3, 0)
    ar = OperatorState("ar-op", frozenset({"ar"}), frozenset(AUDIENCES), 3, 2)
    chat = WaitingChat("c1", "ar", "individual", NOW - 1000)
    (offer,) = plan([chat], [sv, ar], NOW, POLICY)
    assert offer.operator_id == "ar-op" and not offer.interpreter_needed
    busy_ar = replace(ar, load=3)
    assert plan([chat], [sv, busy_ar], NOW, POLICY) == []  # waits for an Arabic speaker…
    late = replace(chat, waiting_since=NOW - POLICY.language_fallback_ms)
    (offer,) = plan([late], [sv, busy_ar], NOW, POLICY)  # …until the fallback
    assert offer.operator_id == "sv-op" and offer.interpreter_needed


def test_audience_skill_and_passed_operators() -> None:
    pro = OperatorState("pro", frozenset({"sv"}), frozenset({"professional"}), 3, 1)
    ind = OperatorState("ind", frozenset({"sv"}), frozenset({"individual"}), 3, 0)
    chat = WaitingChat("c1", "sv", operator_audience("professional"), NOW)
    assert [a.operator_id for a in plan([chat], [pro, ind], NOW, POLICY)] == ["pro"]
    assert operator_audience("self") == operator_audience("other") == "individual"
    # The only skilled operator let it pass; a new round rather than starving it.
    passed = replace(chat, passed=frozenset({"pro"}))
    assert [a.operator_id for a in plan([passed], [pro, ind], NOW, POLICY)] == ["pro"]
    ind_pro = replace(ind, audiences=frozenset(AUDIENCES))
    assert [a.operator_id for a in plan([passed], [pro, ind_pro], NOW, POLICY)] == ["ind"]
    # The audience is never waived: past the language fallback too, only "pro" may
    # take a consultation, and a chat nobody on duty takes waits.
    late = replace(chat, waiting_since=NOW - POLICY.language_fallback_ms)
    assert [a.operator_id for a in plan([late], [replace(pro, load=3), ind], NOW, POLICY)] == []


def test_pending_offers_are_kept() -> None:
    op = OperatorState("a", frozenset({"sv"}), frozenset(AUDIENCES), 1, 1)
    chat = WaitingChat("c1", "sv", "individual", NOW, offered_to="a")
    assert plan([chat], [op], NOW, POLICY) == []


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_ops=st.integers(1, 4),
    n_chats=st.integers(1, 25),
    fallback_steps=st.integers(0, 5),
)
def test_no_chat_starves(seed: int, n_ops: int, n_chats: int, fallback_steps: int) -> None:
    """Chats arrive, operators accept (or let offers time out) and finish chats at
    random; once arrivals stop, every chat that some operator takes the audience of is
    taken within a bounded time (the others wait for a colleague with the skill)."""
    rng = random.Random(seed)
    step_ms = 10_000
    policy = RoutingPolicy(language_fallback_ms=fallback_steps * step_ms)
    ops = [
        OperatorState(
            f"op{i}",
            frozenset(rng.sample(LOCALES, rng.randint(0, 2))),
            frozenset(rng.sample(AUDIENCES, rng.randint(1, 2))),
            rng.randint(1, 3),
            0,
        )
        for i in range(n_ops)
    ]
    arrivals = sorted(rng.randrange(0, 20) for _ in range(n_chats))
    audiences = [rng.choice(AUDIENCES) for _ in range(n_chats)]
    unservable = {f"c{i}" for i, a in enumerate(audiences) if not any(a in op.audiences for op in ops)}
    waiting: dict[str, WaitingChat] = {}
    active: dict[str, str] = {}  # chat -> operator
    served: set[str] = set()
    for step in range(400):
        now = step * step_ms
        for i, at in enumerate(arrivals):
            if at == step:
                cid = f"c{i}"
                waiting[cid] = WaitingChat(cid, rng.choice(LOCALES), audiences[i], now)
        load = {op.id: sum(1 for o in active.values() if o == op.id) for op in ops}
        load_with_offers = {
            op.id: load[op.id] + sum(1 for c in waiting.values() if c.offered_to == op.id) for op in ops
        }
        current = [replace(op, load=load_with_offers[op.id]) for op in ops]
        for a in plan(list(waiting.values()), current, now, policy):
            waiting[a.chat_id] = replace(waiting[a.chat_id], offered_to=a.operator_id)
        for op in current:
            assert sum(1 for c in waiting.values() if c.offered_to == op.id) + load[op.id] <= op.max_chats
        # Offers are taken, or time out (the operator is remembered as having passed).
        for cid, chat in list(waiting.items()):
            if chat.offered_to is None:
                continue
            if rng.random() < 0.6:
                active[cid] = chat.offered_to
                served.add(cid)
                del waiting[cid]
            else:
                waiting[cid] = replace(chat, offered_to=None, passed=chat.passed | {chat.offered_to})
        for cid in list(active):
            if rng.random() < 0.3:
                del active[cid]
        if len(served) == n_chats - len(unservable):
            break
    assert len(served) == n_chats - len(unservable), f"starved: {sorted(set(waiting) - unservable)}"
    assert not served & unservable
