"""services/referrals.py: cards go to the visitor only, in the visitor's language; only
the kinds are remembered; the directory's editing rules."""

from __future__ import annotations

from typing import Any

import pytest

from chat_server.services.centre_domain import centre_namespace
from chat_server.services.domain import Staff
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
    assert isinstance(live["ts"], int)  # where the cards belong among the messages
    # Staff see the record, and the same cards, in their own language.
    (shown,) = world.events.payloads("message", staff_of(sara))
    assert shown["id"] == live["id"] and shown["code"] == "referral" and shown["ts"] == live["ts"]
    assert shown["text"] == "Hänvisningskort skickade: BRIS – Barnens rätt i samhället och Polisen."
    assert [c["id"] for c in shown["cards"]] == ["bris-116111", "police-11414"]
    assert shown["cards"][1]["type_label"] == "Polisen" and shown["cards"][1]["how"][0]["value"] == "114 14"
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
    receiver = {
        "type": "police",
        "name": "Polisen Falun",
        "area": {"kind": "municipality", "name": "Falun"},
        "channels": [{"kind": "phone", "value": "114 14"}],
    }
    saved = await world.services.referrals.do_put(boss, None, "polisen-falun", receiver)
    assert saved["id"] == "polisen-falun" and saved["verify"] is True
    with pytest.raises(ServiceError) as bad:
        await world.services.referrals.do_put(boss, None, "polisen-falun", {**receiver, "channels": []})
    assert (bad.value.code, bad.value.field) == ("invalid", "channels")
    with pytest.raises(ServiceError) as other_id:
        await world.services.referrals.do_put(boss, None, "polisen-falun", {**receiver, "id": "another"})
    assert other_id.value.code == "invalid"
    await world.services.referrals.do_delete(boss, None, "polisen-falun")
    with pytest.raises(ServiceError) as gone:
        await world.services.referrals.do_delete(boss, None, "polisen-falun")
    assert gone.value.code == "not_found"
    listing = await world.services.referrals.listing(boss, "sv", "default")
    assert {t["id"] for t in listing["types"]} >= {"police", "social_services"}


async def test_national_receivers_are_the_national_admins_and_each_centre_edits_its_own(world: World) -> None:
    """A supervisor changes their own centre's directory only: a national receiver
    (shared by every centre) is refused, another centre's receiver is not found."""
    national = {"type": "national_helpline", "name": "Stödlinjen", "channels": [{"kind": "phone", "value": "020-1"}]}
    local = {**national, "type": "police", "area": {"kind": "municipality", "name": "Malmö"}}
    skane = Staff("s-skane", "Sara", "supervisor", "sv", {"skane": "supervisor"})
    dalarna = Staff("s-dalarna", "Ali", "admin", "sv", {"dalarna": "admin"})
    chief = Staff("s-chief", "Nour", "admin", "sv", {"default": "admin"}, national_admin=True)
    referrals = world.services.referrals
    for who, centre, rid, body in ((skane, None, "stodlinjen", national), (skane, None, "bris-116111", local)):
        with pytest.raises(ServiceError) as refused:
            await referrals.do_put(who, centre, rid, body)
        assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError) as refused:
        await referrals.do_delete(skane, None, "bris-116111")
    assert refused.value.code == "forbidden"
    await referrals.do_put(chief, None, "stodlinjen", national)
    await referrals.do_put(skane, None, "polisen-malmo", local)
    with pytest.raises(ServiceError) as refused:
        await referrals.do_put(skane, "dalarna", "polisen-malmo", local)
    assert refused.value.code == "forbidden"
    with pytest.raises(ServiceError) as missing:
        await referrals.do_delete(dalarna, None, "polisen-malmo")
    assert missing.value.code == "not_found"
    ids = {r["id"] for r in (await referrals.listing(dalarna, "sv", "dalarna"))["receivers"]}
    assert "stodlinjen" in ids and "polisen-malmo" not in ids
    ids = {r["id"] for r in (await referrals.listing(skane, "sv", "skane"))["receivers"]}
    assert {"stodlinjen", "polisen-malmo"} <= ids
    with pytest.raises(ServiceError) as refused:
        await referrals.listing(dalarna, "sv", "skane")
    assert refused.value.code == "forbidden"


async def test_a_card_prints_everything_the_directory_holds_for_the_visitor(world: World) -> None:
    """Every number and address in full, the channel's note (a switchboard, translated,
    and whom to ask for), free-text and known opening hours, the receiver's languages;
    never the staff-only notes."""
    boss = await world.staff("supervisor")
    await world.services.referrals.do_put(
        boss,
        None,
        "mottagningen-test",
        {
            "type": "social_services",
            "name": "Socialtjänsten, Testby kommun",
            "area": {"kind": "municipality", "name": "Testby"},
            "channels": [
                {"kind": "phone", "value": "0226-64 50 00", "note": "växel"},
                {"kind": "phone", "value": "+46 70 123 45 67", "note": "sms"},
                {"kind": "visit", "value": "Storgatan 1, 774 81 Testby"},
                {"kind": "email", "value": "social@testby.se"},
                {"kind": "web", "value": "https://www.testby.se/stod"},
            ],
            "hours": "Mån–fre 8–16",
            "languages": ["ar", "ti"],
            "notes": "Only for staff: ask for the youth unit.",
        },
    )
    sara = await world.on_duty(await world.staff(languages=["sv", "ar"]))
    _, cid = await world.active(sara, locale="ar")
    (sent,) = await world.services.referrals.do_send(sara, cid, ["mottagningen-test"])

    assert [(w["kind"], w["value"]) for w in sent["how"]] == [
        ("phone", "0226-64 50 00"),
        ("phone", "+46 70 123 45 67"),
        ("visit", "Storgatan 1, 774 81 Testby"),
        ("email", "social@testby.se"),
        ("web", "https://www.testby.se/stod"),
    ]
    switchboard, sms = sent["how"][0]["note"], sent["how"][1]["note"]
    assert switchboard and switchboard != "växel" and sms == "sms"  # known notes translate
    assert "Socialtjänsten, Testby kommun" in sent["switchboard"] and sent["switchboard"] != sent["say"]
    assert sent["hours"] == "Mån–fre 8–16" and sent["languages"] == ["ar", "ti"]
    assert "staff" not in str(sent) and "verify" not in sent
    (bris,) = await world.services.referrals.do_send(sara, cid, ["bris-116111"])
    assert bris["switchboard"] == "" and bris["how"][0]["note"] == ""


RECEIVER = {
    "type": "police",
    "name": "Polisen",
    "area": {"kind": "municipality", "name": "Falun"},
    "channels": [{"kind": "phone", "value": "114 14"}],
}


async def test_two_editors_saving_at_once_both_keep_their_change(world: World) -> None:
    """Editors that never lose data: one editor's save lands between another's read and
    write (another process). The directory and the canned responses are changed by
    compare-and-set, so the second save is applied to the document with the first in
    it: both receivers, both languages are kept."""
    directory, canned = world.services.directory, world.services.canned
    durable = directory._durable  # noqa: SLF001 - the store under both
    real_get = durable.get_kv
    cut_in: list[Any] = []  # (namespace, the other save)

    async def another_save_after_the_read(namespace: str, key: str) -> Any:
        value = await real_get(namespace, key)
        if cut_in and cut_in[0][0] == namespace:
            await cut_in.pop()[1]()  # lands after this read, before this save's write
        return value

    durable.get_kv = another_save_after_the_read
    try:
        await directory.all("default")  # seeded
        ns = centre_namespace("default")
        first = {**RECEIVER, "id": "polisen-falun"}
        second = {**RECEIVER, "id": "polisen-borlange"}
        cut_in.append((ns, lambda: directory.put(first, "default")))
        await directory.put(second, "default")
        ids = {r["id"] for r in await directory.all("default")}
        assert {"polisen-falun", "polisen-borlange"} <= ids
        cut_in.append((ns, lambda: canned.set_locale("sv", [{"id": "a", "title": "Hej", "text": "Hej!"}], "default")))
        await canned.set_locale("ar", [{"id": "b", "title": "مرحبا", "text": "مرحبا!"}], "default")
        everything = await canned.all("default")
        assert everything["sv"]["custom"] and everything["ar"]["custom"]
    finally:
        durable.get_kv = real_get


async def test_a_national_receiver_cannot_take_the_id_of_any_centres_own(world: World) -> None:
    """Security review: the clash was checked only in the named centre, so a national
    receiver could share an id with another centre's own and hide it there."""
    from chat_server.services.centres import NewCentre
    from chat_server.services.referrals import InvalidReceiver

    directory = world.services.directory
    await world.services.centres.do_create_centre(None, NewCentre("skane", {"sv": "RC Skåne"}))
    await directory.put({**RECEIVER, "id": "socialtjansten-malmo"}, "skane")
    national = {**RECEIVER, "id": "socialtjansten-malmo", "area": {"kind": "national"}}
    with pytest.raises(InvalidReceiver):
        await directory.put(national, "default")
    assert [r["id"] for r in await directory.all("skane") if r["id"] == "socialtjansten-malmo"] == [
        "socialtjansten-malmo"
    ]
