"""services/centres.py, centre_staff.py and centre_examples.py: who may act in which
centre, the centre records, assigning staff, conversations and statistics carrying
their centre, and the example data (issue 19)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chat_server.services.audit import Audit
from chat_server.services.centre_domain import Centre, memberships, primary_centre
from chat_server.services.centre_examples import EXAMPLE, counties, do_load_example, example_centres
from chat_server.services.centres import (
    CentreChanges,
    Centres,
    NewCentre,
    centres_of,
    check_centre_admin,
    check_may_manage_account,
    check_national_admin,
    check_staff_in_centre,
    resolve_centre,
)
from chat_server.services.domain import Staff
from chat_server.services.errors import ServiceError
from chat_server.services.roles import SUPERVISORS

from .conftest import World

ANNA = Staff("s1", "Anna", "operator", "sv", {"skane": "operator", "dalarna": "supervisor"})
LINA = Staff("s2", "Lina", "admin", "sv", {"skane": "admin"})
NAT = Staff("s3", "Nat", "admin", "sv", {"default": "admin"}, national_admin=True)


def refused(code: str, fn, *args, **kw) -> None:
    with pytest.raises(ServiceError) as err:
        fn(*args, **kw)
    assert err.value.code == code


def test_who_may_act_where() -> None:
    assert centres_of(ANNA) == ("dalarna", "skane")
    assert check_staff_in_centre(ANNA, "dalarna", SUPERVISORS) == "supervisor"
    refused("forbidden", check_staff_in_centre, ANNA, "skane", SUPERVISORS)
    refused("forbidden", check_staff_in_centre, ANNA, "default")
    # A national admin administers every centre but works in none they are not in.
    check_centre_admin(NAT, "skane")
    refused("forbidden", check_staff_in_centre, NAT, "skane")
    check_centre_admin(LINA, "skane")
    refused("forbidden", check_centre_admin, LINA, "dalarna")
    refused("forbidden", check_national_admin, LINA)
    # Account-wide changes need admin rights in every centre of the account.
    check_may_manage_account(LINA, {"centres": {"skane": "operator"}})
    refused("forbidden", check_may_manage_account, LINA, {"centres": {"skane": "operator", "dalarna": "operator"}})
    refused("forbidden", check_may_manage_account, LINA, {"centres": {"skane": "admin"}, "national_admin": True})
    check_may_manage_account(NAT, {"centres": {"dalarna": "operator"}})
    # The paths from before centres: the only centre, else default, else choose.
    assert resolve_centre(LINA, None) == "skane"
    assert resolve_centre(Staff("x", "X", "admin", "sv"), None) == "default"  # a value made before centres
    refused("conflict", resolve_centre, ANNA, None)
    assert resolve_centre(ANNA, "dalarna") == "dalarna"
    refused("invalid", resolve_centre, ANNA, "../etc")


def test_memberships_of_records_from_before_centres_and_the_primary_centre() -> None:
    assert memberships({"role": "supervisor"}) == {"default": "supervisor"}
    assert memberships({"role": "operator", "centres": {"skane": "operator", "x": "king"}}) == {"skane": "operator"}
    # A role written by something that knows no centres (the previous release during a
    # rolling upgrade) applies to the primary centre.
    assert memberships({"role": "operator", "centres": {"default": "admin", "skane": "admin"}}) == {
        "default": "operator",
        "skane": "admin",
    }
    assert primary_centre({"skane": "admin"}) == "skane"
    assert primary_centre({"skane": "admin", "default": "operator"}) == "default"
    assert primary_centre({"skane": "admin", "dalarna": "operator"}) == "dalarna"
    staff = Staff.from_account({"id": "a", "name": "A", "role": "operator", "centres": {"skane": "operator"}})
    assert staff.role == "operator" and staff.memberships == {"skane": "operator"} and not staff.national_admin


def test_a_centre_record_round_trips_and_keeps_fields_it_does_not_know() -> None:
    record = {"id": "skane", "names": {"sv": "RC Skåne"}, "county": "12", "municipalities": ["1280"], "x": 1}
    centre = Centre.from_record(record)
    assert centre.name("ar") == "RC Skåne" and centre.serves("1280") and not centre.serves("1281")
    assert Centre.from_record(centre.to_record()) == centre and centre.to_record()["x"] == 1


async def test_centres_are_created_changed_and_audited(world: World) -> None:
    centres: Centres = world.services.centres
    new = NewCentre("skane", {"sv": "RC Skåne"}, county="12", municipalities=("1281", "1280", "1280"))
    with pytest.raises(ServiceError) as err:
        await centres.do_create_centre(LINA, new)
    assert err.value.code == "forbidden"
    made = await centres.do_create_centre(NAT, new)
    assert made.municipalities == ("1280", "1281")
    changed = await centres.do_update_centre(
        NAT, "skane", CentreChanges(names={"sv": "Resurscentrum Skåne", "en": "RC"})
    )
    assert changed.names == {"sv": "Resurscentrum Skåne", "en": "RC"} and changed.county == "12"
    for bad in (
        CentreChanges(municipalities=("2080",)),  # not in Skåne
        CentreChanges(names={"sv": ""}),
        CentreChanges(names={"sv": "x", "xx": "y"}),
        CentreChanges(county="1"),
    ):
        with pytest.raises(ServiceError) as err:
            await centres.do_update_centre(NAT, "skane", bad)
        assert err.value.code == "invalid"
    cleared = await centres.do_update_centre(NAT, "skane", CentreChanges(clear_county=True, municipalities=()))
    assert cleared.county is None
    with pytest.raises(ServiceError) as err:
        await centres.do_update_centre(NAT, "nowhere", CentreChanges(disabled=True))
    assert err.value.code == "not_found"
    audit = await Audit(world.services.staff.durable).recent(10, centre="skane")
    assert [e["action"] for e in audit] == ["centre_update", "centre_update", "centre_create"]


async def test_assigning_staff_ends_their_sessions_and_keeps_one_centre(world: World) -> None:
    await world.services.centres.do_create_centre(NAT, NewCentre("skane", {"sv": "RC Skåne"}))
    op = await world.staff("operator")
    account = await world.services.centre_staff.do_set_membership(NAT, "skane", op.id, "supervisor")
    assert account["centres"] == {"default": "operator", "skane": "supervisor"}
    with pytest.raises(ServiceError) as err:
        await world.services.centre_staff.do_set_membership(LINA, "skane", op.id, "admin")
    assert err.value.code == "forbidden"
    with pytest.raises(ServiceError) as err:
        await world.services.centre_staff.do_set_membership(NAT, "nowhere", op.id, "admin")
    assert err.value.code == "not_found"
    account = await world.services.centre_staff.do_set_membership(NAT, "default", op.id, None)
    assert account["centres"] == {"skane": "supervisor"} and account["role"] == "supervisor"
    with pytest.raises(ServiceError) as err:
        await world.services.centre_staff.do_set_membership(NAT, "skane", op.id, None)
    assert err.value.code == "conflict"


async def test_a_conversation_carries_its_centre_into_the_statistics(world: World) -> None:
    await world.services.centres.do_create_centre(NAT, NewCentre("skane", {"sv": "RC Skåne"}))
    with pytest.raises(ServiceError) as err:
        await world.start(centre="nowhere")
    assert err.value.code == "not_found"
    default_sess, default_id = await world.start()
    skane_sess, skane_id = await world.start(centre="skane")
    conv = await world.services.repository.get(skane_id)
    assert conv is not None and conv.centre == "skane"
    assert (await world.services.repository.get(default_id)).centre == "default"  # type: ignore[union-attr]
    for sess in (default_sess, skane_sess):
        await world.services.lifecycle.do_visitor_end(sess)
    durable = world.services.staff.durable
    skane = {k: n for _, k, n in await durable.get_stats("2000-01-01", "2100-01-01", centre="skane")}
    default = {k: n for _, k, n in await durable.get_stats("2000-01-01", "2100-01-01")}
    national = {k: n for _, k, n in await durable.get_stats("2000-01-01", "2100-01-01", centre=None)}
    assert skane["conversations:total"] == default["conversations:total"] == 1
    assert national["conversations:total"] == 2


async def test_a_disabled_centre_takes_no_new_conversations(world: World) -> None:
    await world.services.centres.do_create_centre(NAT, NewCentre("skane", {"sv": "RC Skåne"}))
    await world.services.centres.do_update_centre(NAT, "skane", CentreChanges(disabled=True))
    with pytest.raises(ServiceError) as err:
        await world.start(centre="skane")
    assert err.value.code == "not_found"


def test_the_example_data_covers_the_eight_counties_and_the_national_line() -> None:
    table = counties()
    made = {new.id: (new, extra) for new, extra in example_centres()}
    assert sorted(made) == sorted(
        [
            "dalarna",
            "gavleborg",
            "kronoberg",
            "norrbotten",
            "skane",
            "vasternorrland",
            "vastmanland",
            "vastra-gotaland",
            "nkt-konsultation",
        ]
    )
    sizes = {new.county: len(new.municipalities) for new, _ in made.values() if new.county}
    # SCB: Kronoberg 8, Skåne 33, Västra Götaland 49, Västmanland 10, Dalarna 15,
    # Gävleborg 10, Västernorrland 7, Norrbotten 14 municipalities.
    assert sizes == {"07": 8, "12": 33, "14": 49, "19": 10, "20": 15, "21": 10, "22": 7, "25": 14}
    for new, extra in made.values():
        assert extra["verify"] is True and extra["contact"]["verify"] is True
        assert all(code[:2] == new.county and code in table[new.county].municipalities for code in new.municipalities)
        assert extra["contact"]["phone"] == ""  # the sources give no number of a centre itself
    line, _ = made["nkt-konsultation"]
    assert line.audience == "professional" and line.county is None
    assert "verify" in json.loads(EXAMPLE.read_text(encoding="utf-8"))["comment"]


async def test_loading_the_example_twice_creates_each_centre_once(world: World) -> None:
    created, present = await do_load_example(world.services.centres)
    assert len(created) == 9 and present == []
    created, present = await do_load_example(world.services.centres)
    assert created == [] and len(present) == 9
    dalarna = await world.services.centres.get("dalarna")
    assert dalarna is not None and dalarna.extra["verify"] is True and "2080" in dalarna.municipalities


async def test_a_removal_from_a_centre_is_never_undone_by_a_role_change_at_the_same_time(world: World) -> None:
    """Security review: a national admin takes someone out of Skåne while Skåne's admin
    changes their role there. Both read the account first; the role change used to
    write the membership back. Now the memberships change by compare-and-set: the role
    change, applied to what is there when it writes, finds them gone (``not_found``)."""
    await world.services.centres.do_create_centre(NAT, NewCentre("skane", {"sv": "RC Skåne"}))
    op = await world.staff("operator")
    await world.services.centre_staff.do_set_membership(NAT, "skane", op.id, "operator")
    staff = world.services.staff
    real_update = staff.durable.update_staff
    removed = False

    async def removal_first(*args: Any, **kwargs: Any) -> Any:
        nonlocal removed
        if not removed:  # the role change has read the account; the removal lands now
            removed = True
            await world.services.centre_staff.do_set_membership(NAT, "skane", op.id, None)
        return await real_update(*args, **kwargs)

    staff.durable.update_staff = removal_first  # type: ignore[method-assign]
    try:
        with pytest.raises(ServiceError) as err:
            await staff.set_role(op.id, "supervisor", actor=NAT.id, centre="skane")
    finally:
        staff.durable.update_staff = real_update  # type: ignore[method-assign]
    assert err.value.code == "not_found"
    account = await staff.durable.get_staff(op.id)
    assert account is not None and account["centres"] == {"default": "operator"}
