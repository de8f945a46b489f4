"""Statistics per centre over HTTP (issue 19 point 5): each centre's own counts with
small cells suppressed, and a national view summed over every centre before
suppression, without any cell a centre suppresses (docs/privacy.md §7): two centres
with 3 chats each publish nothing nationally either, with 7 and 5 they publish 12."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import aiohttp

from chat_server.services.centres import NewCentre
from chat_server.services.stats import conversation_counters
from chat_server.transport import keys as K
from tests.helpers import login

from .test_stats import TZ


async def get(live: Any, cookie: str, path: str) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        async with http.get(live.url + path, headers={"Cookie": cookie}) as resp:
            return resp.status, await resp.json()


async def record_chats(live: Any, centre: str, n: int) -> None:
    """``n`` ended conversations of ``centre`` on 10 March 2026 (an ended month)."""
    stats = live.app[K.SERVICES].stats
    ts = int(datetime(2026, 3, 10, 12, tzinfo=TZ).timestamp() * 1000)
    conv = {"audience": "self", "topic": "control", "locale": "sv", "created_at": ts - 60_000, "accepted_at": ts}
    for _ in range(n):
        await stats.record(ts, conversation_counters(conv, "operator", ts + 600_000), centre)


async def test_national_view_sums_before_suppression_and_each_centre_sees_its_own(server) -> None:
    server.app[K.SERVICES].stats.today = lambda: date(2026, 5, 2)
    national = await server.create_staff("admin", national_admin=True, centres={"skane": "admin"})
    skane = await server.create_staff("supervisor", centres={"skane": "supervisor"})
    dalarna = await server.create_staff("supervisor", centres={"dalarna": "supervisor"})
    dalarna_op = await server.create_staff("operator", centres={"dalarna": "operator"})
    for centre in ("skane", "dalarna"):
        await server.services.centres.do_create_centre(None, NewCentre(id=centre, names={"sv": f"RC {centre}"}))
        await record_chats(server, centre, 3)
    query = "?from=2026-03-01&to=2026-03-31&group=month"

    nat = (await login(server.url, national)).cookie
    status, body = await get(server, nat, "/api/stats" + query + "&scope=all")
    assert status == 200 and body["centre"] is None, body
    (period,) = body["periods"]
    # 6 nationally, but each centre's 3 is suppressed: 6 minus one centre's would tell.
    assert period["counts"]["conversations"]["total"] is None
    assert period["counts"]["topic"]["control"] is None

    for creds, centre in ((skane, "skane"), (dalarna, "dalarna")):
        cookie = (await login(server.url, creds)).cookie
        for path in ("/api/stats", f"/api/centres/{centre}/stats"):
            status, body = await get(server, cookie, path + query)
            assert status == 200 and body["centre"] == centre, body
            (period,) = body["periods"]
            assert period["counts"]["conversations"]["total"] is None  # "<5"
            assert body["small_count"] == 5
        # Another centre's statistics, and the national view: refused.
        other = "dalarna" if centre == "skane" else "skane"
        for path in (f"/api/centres/{other}/stats{query}", f"/api/stats{query}&scope=all"):
            status, body = await get(server, cookie, path)
            assert status == 403 and body["error"]["code"] == "forbidden", (path, body)
    # A national admin reads any one centre too (suppressed like its own staff see it).
    status, body = await get(server, nat, "/api/centres/dalarna/stats" + query)
    assert status == 200 and body["periods"][0]["counts"]["conversations"]["total"] is None
    # An operator reads no statistics, not even their own centre's.
    cookie = (await login(server.url, dalarna_op)).cookie
    status, _ = await get(server, cookie, "/api/centres/dalarna/stats" + query)
    assert status == 403
    # With 7 and 5, every centre publishes its part and the national view is their sum.
    await record_chats(server, "skane", 4)
    await record_chats(server, "dalarna", 2)
    status, body = await get(server, nat, "/api/stats" + query + "&scope=all")
    (period,) = body["periods"]
    assert period["counts"]["conversations"]["total"] == 12
    assert period["counts"]["topic"]["control"] == 12
