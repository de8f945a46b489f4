"""The interpreter flag (services/routing.py ``needs_interpreter``): whoever has the chat
decides it, at an accept, a transfer to a colleague and an accept after a requeue; the
visitor is told in their language, and staff see the flag on the chat."""

from __future__ import annotations

from chat_server.services.domain import Staff

from .conftest import World, staff_of, visitor_of


def _codes(world: World, cid: str) -> list[str]:
    return [s.payload.get("code") or "" for s in world.events.of("message") if s.to == visitor_of(cid)]


async def _flag(world: World, cid: str) -> bool:
    conv = await world.services.repository.get(cid)
    assert conv is not None
    return conv.interpreter_needed


async def test_an_operator_without_the_language_flags_the_chat_and_the_visitor_is_told(world: World) -> None:
    sara: Staff = await world.on_duty(await world.staff(name="Sara", languages=["sv", "en"]))
    _, cid = await world.start(locale="ti")
    world.events.clear()

    summary = await world.services.lifecycle.do_accept(sara, cid)

    assert summary["interpreter_needed"] is True and await _flag(world, cid)
    assert _codes(world, cid) == ["operator_joined", "interpreter"]
    told = [s.payload for s in world.events.of("message") if s.to == visitor_of(cid)][1]
    # In Tigrinya, not the Swedish or English msgid.
    assert told["from"] == "system" and "Swedish" not in told["text"] and "svenska" not in told["text"]
    (assigned,) = world.events.payloads("assigned", staff_of(sara))
    assert assigned["conversation"]["interpreter_needed"] is True
    staff_line = next(m for m in assigned["messages"] if m.get("code") == "interpreter")
    assert staff_line["text"].startswith("Besökaren har fått veta")  # staff read what the visitor was told


async def test_an_operator_with_the_language_does_not(world: World) -> None:
    ali = await world.on_duty(await world.staff(languages=["sv", "ti"]))
    _, cid = await world.start(locale="ti")
    world.events.clear()
    summary = await world.services.lifecycle.do_accept(ali, cid)
    assert summary["interpreter_needed"] is False and "interpreter" not in _codes(world, cid)


async def test_the_flag_follows_the_chat_through_transfers_and_the_queue(world: World) -> None:
    sara = await world.on_duty(await world.staff(name="Sara", languages=["sv"]))
    ali = await world.on_duty(await world.staff(name="Ali", languages=["sv", "ar"]))
    _, cid = await world.start(locale="ar")
    await world.services.lifecycle.do_accept(ali, cid)
    assert not await _flag(world, cid)

    world.events.clear()
    moved = await world.services.supervision.do_transfer(ali, cid, sara.id, None)
    assert moved["interpreter_needed"] is True and await _flag(world, cid)
    assert _codes(world, cid) == ["transferred", "operator_joined", "interpreter"]
    (assigned,) = world.events.payloads("assigned", staff_of(sara))
    assert assigned["conversation"]["interpreter_needed"] is True

    world.events.clear()
    back = await world.services.supervision.do_transfer(sara, cid, ali.id, None)
    assert back["interpreter_needed"] is False and not await _flag(world, cid)
    assert "interpreter" not in _codes(world, cid)

    # Back to the queue: nobody has it, so no flag; the next accept decides again.
    await world.services.supervision.do_transfer(ali, cid, "queue", None)
    assert not await _flag(world, cid)
    world.events.clear()
    await world.services.lifecycle.do_accept(sara, cid)
    assert await _flag(world, cid) and _codes(world, cid)[-1] == "interpreter"


async def test_a_shift_narrowed_to_other_languages_counts(world: World) -> None:
    """The languages on duty, not the account's, decide (as routing does)."""
    sara = await world.staff(languages=["sv", "ar"])
    world.services.presence.consoles.opened("sid-" + sara.id)
    await world.services.router.do_operator_connected(sara, "sid-" + sara.id)
    await world.services.queue.do_set_duty(sara, True, ["sv"])
    _, cid = await world.start(locale="ar")
    summary = await world.services.lifecycle.do_accept(sara, cid)
    assert summary["interpreter_needed"] is True
