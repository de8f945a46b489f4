"""The centres' admin API over HTTP (issue 19): a national admin manages centres and
assigns staff; a centre's admin manages only their own centre (403 elsewhere); the
paths from before centres act on the person's own centre."""

from __future__ import annotations

from typing import Any

import aiohttp

from ..helpers import StaffLogin, login

HOURS = {"weekly": {"0": [["09:00", "16:00"]]}, "exceptions": {}}


class Api:
    """Requests as one logged-in staff member."""

    def __init__(self, http: aiohttp.ClientSession, base: str, who: StaffLogin) -> None:
        self.http, self.base, self.who = http, base, who

    async def __call__(self, method: str, path: str, body: Any = None) -> tuple[int, dict[str, Any]]:
        headers = {"Cookie": self.who.cookie, "X-CSRF-Token": self.who.csrf}
        async with self.http.request(method, self.base + path, headers=headers, json=body) as resp:
            return resp.status, await resp.json()


async def test_national_admin_manages_centres_and_a_centre_admin_only_their_own(server) -> None:
    national = await login(server.url, await server.create_staff("admin", national_admin=True))
    skane_admin_creds = await server.create_staff("admin", centres={"skane": "admin"})
    dalarna_op_creds = await server.create_staff("operator", centres={"dalarna": "operator"})
    async with aiohttp.ClientSession() as http:
        nat = Api(http, server.url, national)
        # Create two centres; areas are checked against SCB's table.
        status, body = await nat(
            "POST",
            "/api/admin/centres",
            {"id": "skane", "names": {"sv": "RC Skåne", "en": "RC Skåne"}, "county": "12", "municipalities": ["1280"]},
        )
        assert status == 200 and body["centre"]["municipalities"] == ["1280"], body
        status, body = await nat("POST", "/api/admin/centres", {"id": "dalarna", "names": {"sv": "RC Dalarna"}})
        assert status == 200, body
        status, body = await nat("POST", "/api/admin/centres", {"id": "dalarna", "names": {"sv": "Igen"}})
        assert status == 409 and body["error"]["code"] == "conflict"
        for bad in (
            {"id": "x", "names": {"sv": "För kort id"}},
            {"id": "vast", "names": {"en": "No Swedish name"}},
            {"id": "vast", "names": {"sv": "V"}, "county": "12", "municipalities": ["2080"]},  # Falun is not in Skåne
            {"id": "vast", "names": {"sv": "V"}, "county": "12", "municipalities": ["1299"]},  # no such municipality
        ):
            status, body = await nat("POST", "/api/admin/centres", bad)
            assert status == 400 and body["error"]["code"] == "invalid", (bad, body)
        status, body = await nat(
            "PATCH", "/api/admin/centres/dalarna", {"county": "20", "municipalities": ["2080", "2081"]}
        )
        assert status == 200 and body["centre"]["county"] == "20", body
        status, body = await nat("GET", "/api/admin/centres")
        assert [c["id"] for c in body["items"]] == ["dalarna", "default", "skane"]

        skane = Api(http, server.url, await login(server.url, skane_admin_creds))
        status, body = await skane("GET", "/api/centres")
        assert [c["id"] for c in body["items"]] == ["skane"] and body["items"][0]["role"] == "admin"
        assert body["national_admin"] is False

        # Another centre, or the national screens: 403, and nothing changes.
        dalarna_op = dalarna_op_creds.id
        for method, path, payload in (
            ("POST", "/api/admin/centres", {"id": "mine", "names": {"sv": "Min"}}),
            ("PATCH", "/api/admin/centres/dalarna", {"names": {"sv": "Kapad"}}),
            ("PATCH", "/api/admin/centres/skane", {"municipalities": ["1280", "1281"]}),
            ("PUT", f"/api/admin/centres/skane/staff/{dalarna_op}", {"role": "operator"}),
            ("GET", "/api/admin/centres", None),
            ("GET", "/api/centres/dalarna/admin/staff", None),
            ("POST", "/api/centres/dalarna/admin/staff", {"username": "intruder", "name": "I", "password": "x" * 20}),
            ("PATCH", f"/api/centres/dalarna/admin/staff/{dalarna_op}", {"role": "admin"}),
            ("POST", f"/api/centres/dalarna/admin/staff/{dalarna_op}/password", {"password": "y" * 20}),
            ("POST", f"/api/centres/dalarna/admin/staff/{dalarna_op}/totp", None),
            ("GET", "/api/centres/dalarna/hours", None),
            ("PUT", "/api/centres/dalarna/admin/hours", HOURS),
            ("GET", "/api/centres/dalarna/canned", None),
            ("PUT", "/api/centres/dalarna/admin/canned/sv", {"items": []}),
            ("GET", "/api/centres/dalarna/admin/audit", None),
            ("GET", "/api/admin/audit?scope=all", None),
        ):
            status, body = await skane(method, path, payload)
            assert status == 403 and body["error"]["code"] == "forbidden", (method, path, status, body)
        # A staff member of another centre is not found through one's own centre.
        status, body = await skane("PATCH", f"/api/centres/skane/admin/staff/{dalarna_op}", {"role": "admin"})
        assert status == 404, body
        assert (await server.durable.get_staff(dalarna_op))["centres"] == {"dalarna": "operator"}
        assert (await server.durable.get_centre("dalarna"))["names"] == {"sv": "RC Dalarna"}

        # Their own centre: by name, and by the paths from before centres.
        status, body = await skane("PUT", "/api/centres/skane/admin/hours", HOURS)
        assert status == 200 and body["hours"]["weekly"] == HOURS["weekly"], body
        status, body = await skane("GET", "/api/hours")
        assert body["hours"]["weekly"] == HOURS["weekly"]
        status, body = await nat("GET", "/api/centres/default/hours")
        assert body["hours"]["weekly"] == {}  # the default centre's are its own
        status, body = await skane(
            "POST", "/api/admin/staff", {"username": "malmo-op", "name": "Ali", "password": "a long password 123"}
        )
        assert status == 200 and body["staff"]["centres"] == {"skane": "operator"}, body
        new_id = body["staff"]["id"]
        status, body = await skane("GET", "/api/admin/staff")
        assert sorted(i["username"] for i in body["items"]) == sorted([skane_admin_creds.username, "malmo-op"])
        status, body = await skane("GET", "/api/admin/audit")
        assert {"hours_update", "staff_create"} <= {e["action"] for e in body["items"]}
        assert all("skane" in e["centres"] for e in body["items"])

        # The national admin assigns the new operator to Dalarna too; then the Skåne
        # admin may change their role in Skåne, but no longer their whole account.
        status, body = await nat("PUT", f"/api/admin/centres/dalarna/staff/{new_id}", {"role": "supervisor"})
        assert status == 200 and body["staff"]["centres"] == {"dalarna": "supervisor", "skane": "operator"}, body
        status, body = await skane("PATCH", f"/api/admin/staff/{new_id}", {"role": "supervisor"})
        assert status == 200 and body["staff"]["centres"]["skane"] == "supervisor", body
        status, body = await skane("POST", f"/api/admin/staff/{new_id}/password", {"password": "another password 9"})
        assert status == 403, body
        status, body = await skane("PATCH", f"/api/admin/staff/{new_id}", {"disabled": True})
        assert status == 403, body
        status, body = await nat("PUT", f"/api/admin/centres/skane/staff/{new_id}", {"role": None})
        assert status == 200 and body["staff"]["centres"] == {"dalarna": "supervisor"}, body
        status, body = await nat("PUT", f"/api/admin/centres/dalarna/staff/{new_id}", {"role": None})
        assert status == 409, body  # an account belongs to at least one centre
        status, body = await nat("GET", "/api/admin/audit?scope=all")
        assert "centre_membership" in {e["action"] for e in body["items"]}


async def test_the_paths_from_before_centres_keep_working_for_the_default_centre(server) -> None:
    admin = await login(server.url, await server.create_staff("admin"))
    operator_creds = await server.create_staff("operator")
    async with aiohttp.ClientSession() as http:
        api = Api(http, server.url, admin)
        status, body = await api("GET", "/api/centres")
        assert [c["id"] for c in body["items"]] == ["default"]
        status, body = await api("PUT", "/api/admin/hours", HOURS)
        assert status == 200, body
        assert (await server.durable.get_kv("centre:default", "hours"))["weekly"] == HOURS["weekly"]
        status, body = await api("GET", "/api/admin/staff")
        assert operator_creds.username in {i["username"] for i in body["items"]}
        status, body = await api("PATCH", f"/api/admin/staff/{operator_creds.id}", {"role": "supervisor"})
        assert status == 200 and body["staff"]["role"] == "supervisor"
        assert body["staff"]["centres"] == {"default": "supervisor"}
        op = Api(http, server.url, await login(server.url, operator_creds))
        status, body = await op("GET", "/api/admin/staff")
        assert status == 403


async def test_a_centre_that_does_not_exist_is_not_found_on_every_centre_path(server) -> None:
    """Security review: every centre id passes a national admin's rights check, so the
    paths under /api/centres/{centre} wrote hours, directories or accounts for a centre
    that is not there. Each now answers 404 ``not_found`` first, and writes nothing."""
    from chat_server.transport.routes import CENTRE_ROUTES

    national = await login(server.url, await server.create_staff("admin", national_admin=True))
    async with aiohttp.ClientSession() as http:
        nat = Api(http, server.url, national)
        for method, path, _handler in CENTRE_ROUTES:
            if path == "/triage":
                continue  # one form for every centre, not under /api/centres
            concrete = path.replace("{staff_id:[A-Za-z0-9_-]{1,64}}", "s123").replace(
                "{id:[a-z0-9][a-z0-9-]{1,63}}", "bris"
            )
            concrete = concrete.replace("{locale:[a-z]{2,3}}", "sv")
            status, body = await nat(method, "/api/centres/nowhere" + concrete, {} if method != "GET" else None)
            assert status == 404 and body["error"]["code"] == "not_found", (method, concrete, body)
        status, body = await nat("PUT", "/api/centres/default/admin/hours", HOURS)
        assert status == 200, body  # an existing centre is unaffected
    assert await server.durable.get_centre("nowhere") is None


async def test_a_centre_admin_cannot_sign_a_national_admin_out_by_a_role_change(server) -> None:
    """Security review: a role change ends every session of the person, so a centre's
    admin changing a national admin's role in their centre signed them out of the
    whole installation. Refused (403); a national admin may."""
    national_creds = await server.create_staff("admin", national_admin=True, centres={"default": "admin"})
    national = await login(server.url, national_creds)
    other = await login(server.url, await server.create_staff("admin", centres={"default": "admin"}))
    async with aiohttp.ClientSession() as http:
        status, body = await Api(http, server.url, other)(
            "PATCH", f"/api/admin/staff/{national_creds.id}", {"role": "operator"}
        )
        assert status == 403 and body["error"]["code"] == "forbidden", body
        status, body = await Api(http, server.url, national)("GET", "/api/me")
        assert status == 200, body  # still signed in


async def test_a_centre_admin_sees_only_their_centre_in_the_account_list(server) -> None:
    """Security review: the list showed each person's roles in every other centre."""
    both = await server.create_staff("operator", centres={"default": "operator", "skane": "supervisor"})
    admin = await login(server.url, await server.create_staff("admin", centres={"default": "admin"}))
    national = await login(server.url, await server.create_staff("admin", national_admin=True))
    async with aiohttp.ClientSession() as http:
        status, body = await Api(http, server.url, admin)("GET", "/api/admin/staff")
        assert status == 200, body
        (item,) = [i for i in body["items"] if i["id"] == both.id]
        assert item["centres"] == {"default": "operator"}
        status, body = await Api(http, server.url, national)("GET", "/api/centres/default/admin/staff")
        (item,) = [i for i in body["items"] if i["id"] == both.id]
        assert item["centres"] == {"default": "operator", "skane": "supervisor"}
