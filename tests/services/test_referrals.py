"""services/referrals.py: cards go to the visitor only, in the visitor's language; only
the kinds are remembered; the directory's editing rules."""

from __future__ import annotations

import pytest

from chat_server.services.errors import ServiceError

from .conftest import World, staff_of, visitor_of


async def test_referral_cards_reach_the_visitor_only_in_their_language(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    _, cid = await world.active(sara, locale="ar")
    world.events.clear()

    cards = await world.services.referrals.do_send(sara, cid, ["bris-116111", "police-11414"])

    assert [c["id"] for c in cards] == ["bris-116111", "police-11414"]
    assert world.events.recipients("referral") == {visitor_of(cid)}
    (live,) = world.events.payloads("referral", visitor_of(cid))
    assert live["cards"] == cards and live["id"].startswith("m")  # the record's id
    assert cards[1]["type_label"] != "Police"  # translated into Arabic
    # Staff see the record in their own language, the visitor only the cards.
    (shown,) = world.events.payloads("message", staff_of(sara))
    assert shown["id"] == live["id"] and shown["code"] == "referral" and "cards" not in shown
    assert shown["text"] == "Hänvisningskort skickade: BRIS – Barnens rätt i samhället och Polisen."
    assert world.events.recipients("message") == {staff_of(sara)}
    conv = await world.services.repository.get(cid)
    assert conv is not None and conv.referral_types == ("national_helpline", "police")
    await world.services.lifecycle.do_operator_end(sara, cid, None)
    totals = {k for _d, k, _n in await world.services.stats.totals("2000-01-01", "2999-12-31")}
    assert {"referral:national_helpline", "referral:police"} <= totals


async def test_referral_refusals_send_nothing(world: World) -> None:
    sara = await world.on_duty(await world.staff())
    ali = await world.staff()
    _, cid = await world.active(sara)
    world.events.clear()
    for staff, targets, code in (
        (sara, ["bris-116111", "nobody-here"], "not_found"),
        (ali, ["bris-116111"], "forbidden"),
    ):
        with pytest.raises(ServiceError) as refused:
            await world.services.referrals.do_send(staff, cid, targets)
        assert refused.value.code == code
    assert world.events.of("referral") == []


async def test_directory_edits_are_validated_and_name_the_field(world: World) -> None:
    boss = await world.staff("supervisor")
    receiver = {"type": "police", "name": "Polisen Falun", "channels": [{"kind": "phone", "value": "114 14"}]}
    saved = await world.services.referrals.do_put(boss, "polisen-falun", receiver)
    assert saved["id"] == "polisen-falun" and saved["verify"] is True
    with pytest.raises(ServiceError) as bad:
        await world.services.referrals.do_put(boss, "polisen-falun", {**receiver, "channels": []})
    assert (bad.value.code, bad.value.field) == ("invalid", "channels")
    with pytest.raises(ServiceError) as other_id:
        await world.services.referrals.do_put(boss, "polisen-falun", {**receiver, "id": "another"})
    assert other_id.value.code == "invalid"
    await world.services.referrals.do_delete(boss, "polisen-falun")
    with pytest.raises(ServiceError) as gone:
        await world.services.referrals.do_delete(boss, "polisen-falun")
    assert gone.value.code == "not_found"
    listing = await world.services.referrals.listing("sv")
    assert {t["id"] for t in listing["types"]} >= {"police", "social_services"}
