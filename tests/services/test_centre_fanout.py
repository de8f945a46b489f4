"""The work of one queue event does not grow with the number of centres (issue 19
points 3 and 7): a start, an accept, a visitor away and back, an end in one centre
emit the same events, to as many rooms, on an installation of 1 centre as on one of 21
with the same staff. Counted, not timed: the benchmark (``rc-chat bench --phases
queue_centres``) measures what it costs; this says how many emits it is."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from chat_server.services.domain import Staff

from .conftest import World, visitor_sid
from .test_centre_routing import centres, member

STAFF = 21  # the same staff, in one centre or spread one to each of 21


async def installation(world_factory: Any, n: int, mode: str) -> tuple[World, list[str], list[Staff]]:
    """``n`` centres, ``STAFF`` operators on duty spread over them round-robin, and a
    chat waiting in every centre (a busy day: other centres' queues are not empty)."""
    world: World = await world_factory(routing_mode=mode, offer_timeout_s=600)
    ids = [f"c{i:02d}" for i in range(n)]
    await centres(world, *ids)
    staff = [await world.on_duty(await member(world, ids[i % n])) for i in range(STAFF)]
    for centre in ids:
        await world.start(centre=centre)
    return world, ids, staff


async def one_chat(world: World, centre: str, staff: list[Staff]) -> dict[str, Counter[tuple[str, str]]]:
    """Emits of each queue event of one chat in ``centre``: start, the visitor away and
    back while waiting, accept (by the operator it was offered to, else one of the
    centre's), the visitor's end. ``world.events`` keeps them all."""
    out: dict[str, Counter[tuple[str, str]]] = {}
    before = 0

    def step(name: str) -> None:
        nonlocal before
        out[name] = Counter((s.to[0], s.event) for s in world.events.sent[before:])
        before = len(world.events.sent)

    sess, cid = await world.start(centre=centre)
    step("start")
    await world.services.sessions.do_disconnected(sess, visitor_sid(sess))
    step("away")
    conv = await world.services.repository.get(cid)
    assert conv is not None
    await world.services.sessions.do_connected(conv, "back-socket", "k")
    step("back")
    conv = await world.services.repository.get(cid)
    assert conv is not None
    offered = conv.offer.staff_id if conv.offer else None
    operator = next(s for s in staff if s.id == offered or (offered is None and s.role_in(centre)))
    await world.services.lifecycle.do_accept(operator, cid)
    step("accept")
    await world.services.lifecycle.do_visitor_end(sess)
    step("end")
    return out


@pytest.mark.parametrize("mode", ["pick", "auto"])
async def test_emits_per_queue_event_do_not_grow_with_the_number_of_centres(world_factory: Any, mode: str) -> None:
    # Emits by (kind of recipient, event): one emit is one room, whoever is in it.
    seen = {}
    for n in (1, 21):
        world, ids, staff = await installation(world_factory, n, mode)
        centre = ids[-1]
        world.events.clear()
        seen[n] = await one_chat(world, centre, staff)
        # Every queue snapshot of these events went to the chat's centre's watchers.
        assert {s.to for s in world.events.sent if s.to[0] == "watchers"} == {("watchers", centre)}
    assert seen[1] == seen[21]
    for event, counts in seen[21].items():
        # At most a snapshot or two of one centre's queue per event, never one per centre.
        assert counts[("watchers", "queue")] <= 2, (event, counts)
