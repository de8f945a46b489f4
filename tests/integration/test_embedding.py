"""The widget names its centre at connect (issue 19, point 2): a centre's host sites may
connect to it, another centre's may not, an unknown or missing centre is refused with a
clear code; the session, its opening hours and ``start`` are that centre's; the widget's
iframe page may be framed only by the centre's sites; the admin API edits ``origins``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import socketio

from chat_server.services.centres import NewCentre

from ..helpers import login

SKANE_SITE = "https://www.skane.example"
DALARNA_SITE = "https://www.dalarna.example"
TZ = ZoneInfo("Europe/Stockholm")


def closed_today() -> dict[str, Any]:
    """Opening hours every day of the week, but closed today."""
    return {
        "weekly": {str(d): [["09:00", "16:00"]] for d in range(7)},
        "exceptions": {datetime.now(TZ).date().isoformat(): []},
        "closed_on_holidays": False,
    }


async def refusal(url: str, auth: dict[str, Any]) -> dict[str, Any]:
    """The CONNECT_ERROR data of a /visitor connection with ``auth``."""
    client = socketio.AsyncClient(reconnection=False)
    seen: list[Any] = []

    @client.on("connect_error", namespace="/visitor")
    async def on_error(data: Any) -> None:
        seen.append(data)

    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(url, namespaces=["/visitor"], transports=["websocket"], auth=auth, wait_timeout=5)
    await client.disconnect()
    assert seen, auth
    return dict(seen[0])


async def two_centres(server: Any) -> None:
    centres = server.services.centres
    await centres.do_create_centre(None, NewCentre("skane", {"sv": "RC Skåne"}, origins=(SKANE_SITE,)))
    await centres.do_create_centre(None, NewCentre("dalarna", {"sv": "RC Dalarna"}, origins=(DALARNA_SITE,)))


async def test_a_centre_is_reached_from_its_own_site_only(server, visitor) -> None:
    await two_centres(server)
    # Dalarna is closed, Skåne always open: the session's hours are its centre's.
    await server.services.hours.set_schedule(closed_today(), centre="dalarna")
    skane = await visitor(auth={"centre": "skane", "host": SKANE_SITE, "locale": "sv"})
    assert skane.received("session")[0]["open"] is True
    dalarna = await visitor(auth={"centre": "dalarna", "host": DALARNA_SITE})
    assert dalarna.received("session")[0]["open"] is False
    # A start that names no centre starts in the connection's.
    ack = await skane.call("start", {"audience": "self"})
    assert ack["ok"], ack
    conv = await server.services.repository.get_live(ack["conversation"]["id"])
    assert conv is not None and conv.centre == "skane"
    ack = await dalarna.call("start", {"audience": "self"})
    assert not ack["ok"] and ack["error"]["code"] == "closed", ack
    # The chat server's own pages (/demo/) may show every centre.
    await visitor(auth={"centre": "dalarna", "host": server.url})

    # Another centre's site, or a site of none: refused, in the visitor's language.
    data = await refusal(server.url, {"centre": "skane", "host": DALARNA_SITE, "locale": "en"})
    assert data["message"] == "origin_not_allowed" and data["data"]["code"] == "origin_not_allowed"
    assert data["data"]["message"] == "This website may not show the chat of this resource centre."
    for host in ("https://evil.example", "http://www.skane.example", "null", SKANE_SITE + "/page"):
        assert (await refusal(server.url, {"centre": "skane", "host": host}))["message"] == "origin_not_allowed"
    # The installation-wide list is the default centre's, not Skåne's.
    assert (await refusal(server.url, {"centre": "skane", "host": "https://www.kommun.example"}))["message"] == (
        "origin_not_allowed"
    )


async def test_unknown_or_missing_centre_is_refused_with_a_clear_code(server, visitor) -> None:
    # One centre only: no centre named means "default", as before centres.
    single = await visitor()
    assert single.received("session")[0]["token"]
    await two_centres(server)
    server.services.centres.invalidate()
    for auth, expected in [
        ({"centre": "blekinge", "locale": "ar"}, "unknown_centre"),
        ({"centre": "Skåne"}, "unknown_centre"),
        ({}, "centre_required"),
        ({"centre": None, "host": SKANE_SITE}, "centre_required"),
    ]:
        data = await refusal(server.url, auth)
        assert data["message"] == expected and data["data"]["code"] == expected, (auth, data)
        assert data["data"]["message"], data
    ar = await refusal(server.url, {"centre": "blekinge", "locale": "ar"})
    assert ar["data"]["message"] != "This chat is not set up correctly on this page."  # translated
    # Naming "default" still works on a multi-centre installation.
    await visitor(auth={"centre": "default"})


async def test_the_widget_page_is_framed_by_its_centres_sites(server_factory) -> None:
    live = await server_factory(allowed_origins=("https://www.kommun.example",))
    await two_centres(live)

    async def ancestors(query: str) -> set[str]:
        async with aiohttp.ClientSession() as http, http.get(live.url + "/widget/" + query) as resp:
            csp = resp.headers["Content-Security-Policy"]
        directive = next(d for d in csp.split(";") if d.strip().startswith("frame-ancestors"))
        return set(directive.split()[1:])

    assert await ancestors("?centre=skane") == {"'self'", SKANE_SITE}
    assert await ancestors("?centre=dalarna") == {"'self'", DALARNA_SITE}
    assert await ancestors("?centre=default") == {"'self'", "https://www.kommun.example"}
    # Misconfigured: any site of the installation, so the widget can say so there.
    every = {"'self'", SKANE_SITE, DALARNA_SITE, "https://www.kommun.example"}
    assert await ancestors("?centre=blekinge") == every
    assert await ancestors("") == every


async def test_the_national_admin_edits_a_centres_origins(server) -> None:
    national = await login(server.url, await server.create_staff("admin", national_admin=True))
    local = await login(server.url, await server.create_staff("admin"))
    await two_centres(server)
    async with aiohttp.ClientSession() as http:

        async def patch(who: Any, body: Any) -> tuple[int, dict[str, Any]]:
            headers = {"X-CSRF-Token": who.csrf, "Cookie": who.cookie}
            async with http.patch(server.url + "/api/admin/centres/skane", json=body, headers=headers) as resp:
                return resp.status, await resp.json()

        status, body = await patch(national, {"origins": ["https://www.Skane.example/", "http://localhost:8000"]})
        assert status == 200 and body["centre"]["origins"] == ["http://localhost:8000", SKANE_SITE], body
        for bad in (["http://www.skane.example"], ["https://www.skane.example/chat"], "https://x.example", [1]):
            status, body = await patch(national, {"origins": bad})
            assert status == 400 and body["error"]["code"] == "invalid", (bad, body)
        status, body = await patch(local, {"origins": ["https://evil.example"]})
        assert status == 403, body
        status, body = await patch(national, {"origins": None})
        assert status == 200 and body["centre"]["origins"] is None
    assert (await server.durable.get_centre("skane"))["origins"] is None
