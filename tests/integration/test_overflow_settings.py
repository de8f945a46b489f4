"""The overflow settings of a centre over HTTP (issue 19 point 4): a national admin sets
the order and the threshold, a centre's own admin only their own threshold; bad values
get a translated ``invalid`` naming the field and change nothing; every change is
audited under the centre; a new order changes what a visitor is offered at once. On the
SQLite and on the Redis durable store."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from chat_server.services.centres import NewCentre
from tests.conftest import connect_operator
from tests.helpers import Recorder, login

from .test_admin_centres import Api

CENTRES = ("skane", "kronoberg", "blekinge", "nkt")


async def make_world(server_factory: Any, store: str, redis_server: Any) -> Any:
    extra = {"durable_url": redis_server.url_db(9)} if store == "redis" else {}
    live = await server_factory(**extra)
    if store == "redis":
        await live.durable._redis.flushdb()  # a fresh database for this test
    for centre in CENTRES:
        if await live.services.centres.get(centre) is None:
            names = {"sv": f"RC {centre}", "ar": f"مركز {centre}"}
            await live.services.centres.do_create_centre(None, NewCentre(centre, names))
    return live


@pytest.mark.parametrize("store", ["sqlite", "redis"])
async def test_who_sets_the_overflow_settings_and_what_is_refused(server_factory, redis_server, store) -> None:
    live = await make_world(server_factory, store, redis_server)
    national = await login(live.url, await live.create_staff("admin", national_admin=True))
    skane_admin = await login(live.url, await live.create_staff("admin", centres={"skane": "admin"}))
    skane_sup = await login(live.url, await live.create_staff("supervisor", centres={"skane": "supervisor"}))
    async with aiohttp.ClientSession() as http:
        nat, own, sup = Api(http, live.url, national), Api(http, live.url, skane_admin), Api(http, live.url, skane_sup)
        before = await live.durable.get_centre("skane")
        # Refused, with a message in the asker's language naming the field; nothing stored.
        bad_values: list[tuple[dict[str, Any], str]] = [
            ({"overflow": ["kronoberg", "kronoberg"]}, "overflow"),
            ({"overflow": ["skane"]}, "overflow"),
            ({"overflow": ["nowhere"]}, "overflow"),
            ({"overflow": ["../x"]}, "overflow"),
            ({"overflow": [f"c{i:02d}" for i in range(31)]}, "overflow"),
            ({"overflow_wait_s": 59}, "overflow_wait_s"),
            ({"overflow_wait_s": 7201}, "overflow_wait_s"),
            ({"overflow_wait_s": -1}, "overflow_wait_s"),
        ]
        for body, field in bad_values:
            status, answer = await nat("PATCH", "/api/admin/centres/skane", body)
            assert status == 400 and answer["error"]["code"] == "invalid", (body, answer)
            assert answer["error"]["field"] == field and answer["error"]["message"], answer
        for body in (
            {"overflow": "kronoberg"},
            {"overflow": [7]},
            {"overflow_wait_s": "600"},
            {"overflow_wait_s": 1.5},
        ):
            status, answer = await nat("PATCH", "/api/admin/centres/skane", body)
            assert status == 400 and answer["error"]["code"] == "invalid", (body, answer)
        headers = {"Cookie": national.cookie, "X-CSRF-Token": national.csrf, "Accept-Language": "sv"}
        async with http.patch(
            live.url + "/api/admin/centres/skane", json={"overflow": ["skane"]}, headers=headers
        ) as resp:
            assert (await resp.json())["error"][
                "message"
            ] == "Ett resurscentrum kan inte stå i sin egen avlastningsordning."
        assert await live.durable.get_centre("skane") == before

        # A national admin sets both; the order is kept as given, GET shows it.
        status, answer = await nat(
            "PATCH", "/api/admin/centres/skane", {"overflow": ["kronoberg", "nkt", "blekinge"], "overflow_wait_s": 600}
        )
        assert status == 200, answer
        assert answer["centre"]["overflow"] == ["kronoberg", "nkt", "blekinge"]
        assert answer["centre"]["overflow_wait_s"] == 600
        status, listing = await nat("GET", "/api/admin/centres")
        skane = next(c for c in listing["items"] if c["id"] == "skane")
        assert skane["overflow"] == ["kronoberg", "nkt", "blekinge"] and skane["overflow_wait_s"] == 600
        assert listing["overflow_wait_default_s"] == 1200

        # The centre's admin reads them (names of the order included) and sets the threshold...
        status, mine = await own("GET", "/api/centres")
        assert mine["items"][0]["overflow"] == ["kronoberg", "nkt", "blekinge"]
        assert mine["overflow_names"] == {"kronoberg": "RC kronoberg", "nkt": "RC nkt", "blekinge": "RC blekinge"}
        status, answer = await own("PATCH", "/api/admin/centres/skane", {"overflow_wait_s": 900})
        assert status == 200 and answer["centre"]["overflow_wait_s"] == 900, answer
        status, answer = await own("PATCH", "/api/admin/centres/skane", {"overflow_wait_s": None})
        assert status == 200 and answer["centre"]["overflow_wait_s"] is None, answer
        # ...but not the order (agreed between centres), not another centre's threshold,
        # and a supervisor neither.
        for who, path, body in (
            (own, "/api/admin/centres/skane", {"overflow": ["kronoberg"]}),
            (own, "/api/admin/centres/skane", {"overflow_wait_s": 600, "overflow": []}),
            (own, "/api/admin/centres/kronoberg", {"overflow_wait_s": 600}),
            (sup, "/api/admin/centres/skane", {"overflow_wait_s": 600}),
        ):
            status, answer = await who("PATCH", path, body)
            assert status == 403 and answer["error"]["code"] == "forbidden", (path, body, answer)
        stored = await live.durable.get_centre("skane")
        assert stored["overflow"] == ["kronoberg", "nkt", "blekinge"] and stored["overflow_wait_s"] is None
        assert (await live.durable.get_centre("kronoberg")).get("overflow_wait_s") is None

        # Saved unchanged: the same record, and no audit entry.
        status, answer = await nat(
            "PATCH", "/api/admin/centres/skane", {"overflow": ["kronoberg", "nkt", "blekinge"], "overflow_wait_s": None}
        )
        assert status == 200 and await live.durable.get_centre("skane") == stored

        # Audited under the centre, with the fields changed: its own admins see who did it.
        status, audit = await own("GET", "/api/admin/audit")
        updates = [e for e in audit["items"] if e["action"] == "centre_update"]
        assert [e["details"]["fields"] for e in updates] == [
            ["overflow_wait_s"],
            ["overflow_wait_s"],
            ["overflow", "overflow_wait_s"],
        ]
        assert [e["actor"] for e in updates] == [skane_admin.staff["id"], skane_admin.staff["id"], national.staff["id"]]


async def test_a_new_order_changes_what_a_visitor_is_offered(server_factory, redis_server, clients) -> None:
    """Nobody on duty at Skåne: the visitor is offered the centres of its order that can
    take them, in that order and in their language; reordered by the national admin,
    the next visitor is offered the new order; emptied, nothing."""
    live = await make_world(server_factory, "sqlite", redis_server)
    for centre in ("kronoberg", "blekinge"):
        creds = await live.create_staff("operator", centres={centre: "operator"})
        await connect_operator(live.url, creds, clients, True)
    national = await login(live.url, await live.create_staff("admin", national_admin=True))

    async def offered() -> list[dict[str, str]]:
        rec = Recorder(live.url, "/visitor")
        clients.append(rec)
        await rec.connect(auth={"locale": "ar", "centre": "skane"})
        await rec.wait_for("session")
        options = await rec.call("overflow_options", {"audience": "self"})
        assert options["ok"], options
        return list(options["centres"])

    assert await offered() == []  # no order: nowhere to go
    async with aiohttp.ClientSession() as http:
        nat = Api(http, live.url, national)
        # nkt has nobody on duty: left out; the others in the order given.
        assert (await nat("PATCH", "/api/admin/centres/skane", {"overflow": ["nkt", "kronoberg", "blekinge"]}))[
            0
        ] == 200
        assert await offered() == [
            {"id": "kronoberg", "name": "مركز kronoberg"},
            {"id": "blekinge", "name": "مركز blekinge"},
        ]
        assert (await nat("PATCH", "/api/admin/centres/skane", {"overflow": ["blekinge", "kronoberg"]}))[0] == 200
        assert [c["id"] for c in await offered()] == ["blekinge", "kronoberg"]
        assert (await nat("PATCH", "/api/admin/centres/skane", {"overflow": []}))[0] == 200
        assert await offered() == []
