"""Statistics through the real server: counters per day from real conversations, the
JSON for the dashboard and the CSV export, coordinators only, small counts suppressed,
and an attempt to single out one conversation that fails."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp

from chat_server.transport import keys as K
from tests.helpers import Recorder, login

TZ = ZoneInfo("Europe/Stockholm")
TRIAGE = {"categories": ["honour_control"], "risk": "medium", "actions": ["advice"]}
RARE = {
    "categories": ["fgm", "child_marriage"],
    "risk": "acute",
    "gender": "non_binary",
    "age_band": "13-15",
    "language": "ti",
    "actions": ["police_contacted"],
}


def month_ended(live):
    """Let the statistics see this month, and the month this week ends in, as ended
    (only ended months are published)."""
    today = datetime.now(TZ).date()
    week_end = today + timedelta(days=6 - today.weekday())
    live.app[K.SERVICES].stats.today = lambda: (week_end.replace(day=28) + timedelta(days=4)).replace(day=2)


async def get(live, cookie, path):
    async with aiohttp.ClientSession() as http:
        async with http.get(live.url + path, headers={"Cookie": cookie}) as resp:
            return resp.status, resp.headers.get("Content-Type", ""), await resp.text()


async def run_chat(live, clients, op, locale="sv", triage=None, **start):
    v = Recorder(live.url, "/visitor")
    clients.append(v)
    await v.connect(auth={"locale": locale})
    await v.wait_for("session")
    cid = (await v.call("start", {"audience": "self", **start}))["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    assert (await op.call("end", {"conversation_id": cid, "triage": triage or TRIAGE}))["ok"]
    await v.disconnect()


async def staff(live, clients, role):
    creds = await live.create_staff(role)
    session = await login(live.url, creds)
    rec = Recorder(live.url, "/operator", headers={"Cookie": session.cookie})
    clients.append(rec)
    await rec.connect()
    await rec.wait_for("session")
    return rec, session


async def test_export_suppresses_small_counts_and_cannot_single_out(server_factory, clients):
    live = await server_factory(rate_limits=False, routing_mode="pick", max_chats_default=20)
    op, _ = await staff(live, clients, "operator")
    _, sup = await staff(live, clients, "supervisor")
    assert (await op.call("duty", {"on": True}))["ok"]
    for _ in range(6):
        await run_chat(live, clients, op, age_band="18-21")
    # One conversation unlike any other: language, urgency, age, categories, gender.
    await run_chat(live, clients, op, locale="ti", triage=RARE, urgent=True, age_band="13-15")

    today = datetime.now(TZ).date()
    status, _, text = await get(live, sup.cookie, f"/api/stats.csv?from={today}&to={today}&group=month")
    # The month is still running: only the header (codes, then the words in the staff
    # member's language).
    assert status == 200 and text.strip() == "period,period_start,dimension,value,count,dimension_label,value_label"
    month_ended(live)
    for group in ("day", "week", "month"):
        status, ctype, text = await get(live, sup.cookie, f"/api/stats.csv?from={today}&to={today}&group={group}")
        assert status == 200 and ctype.startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text)))
        assert rows and set(rows[0]) == {
            "period",
            "period_start",
            "dimension",
            "value",
            "count",
            "dimension_label",
            "value_label",
        }
        counts = {(r["dimension"], r["value"]): r["count"] for r in rows}
        words = {(r["dimension"], r["value"]): r["value_label"] for r in rows}
        assert words[("conversations", "total")] not in ("", "total")  # words, not the code
        assert words[("category", "honour_control")] != "honour_control"
        assert counts[("conversations", "total")] == "7"
        # 6 of the 7 triaged chats had honour_control: published, the complement (the one
        # without it) would be 7 - 6 = 1. So it is suppressed too.
        assert counts[("category", "honour_control")] == "suppressed"
        # Every trace of the one rare conversation is suppressed, and no row anywhere
        # shows a count from 1 to 4: nothing can be combined into a profile of it.
        for key in [
            ("language", "ti"),
            ("urgent", "yes"),
            ("age_band", "13-15"),
            ("category", "fgm"),
            ("category", "child_marriage"),
            ("gender", "non_binary"),
            ("risk", "acute"),
            ("assessed_language", "ti"),
            ("action", "police_contacted"),
        ]:
            assert counts[key] == "suppressed", key
        assert all(r["count"] == "suppressed" or int(r["count"]) >= 5 for r in rows)
    # Differencing overlapping ranges gains nothing: ranges are widened to whole periods.
    _, _, week_a = await get(live, sup.cookie, f"/api/stats.csv?from={today}&to={today}&group=week")
    _, _, week_b = await get(
        live,
        sup.cookie,
        f"/api/stats.csv?from={today - timedelta(days=today.weekday())}&to={today}&group=week",
    )
    assert week_a == week_b


async def test_stats_json_for_the_dashboard(server_factory, clients):
    live = await server_factory(rate_limits=False, routing_mode="pick", max_chats_default=20)
    op, _ = await staff(live, clients, "operator")
    _, admin = await staff(live, clients, "admin")
    assert (await op.call("duty", {"on": True}))["ok"]
    for _ in range(5):
        await run_chat(live, clients, op)
    import json

    month_ended(live)
    status, _, text = await get(
        live, admin.cookie, "/api/stats?group=month&from=" + datetime.now(TZ).date().isoformat()
    )
    assert status == 200
    body = json.loads(text)
    assert body["ok"] and body["group"] == "month" and body["small_count"] == 5
    (period,) = body["periods"]
    assert period["counts"]["conversations"]["total"] == 5
    assert period["counts"]["wait"] and all(v is None or v >= 5 for d in period["counts"].values() for v in d.values())
    assert body["dimensions"][0] == "conversations"


async def test_only_coordinators_read_statistics(server_factory, clients):
    live = await server_factory()
    _, op = await staff(live, clients, "operator")
    for path in ("/api/stats", "/api/stats.csv"):
        status, _, _ = await get(live, op.cookie, path)
        assert status == 403
        status, _, _ = await get(live, "", path)
        assert status == 401
    _, sup = await staff(live, clients, "supervisor")
    for query in (
        "?from=2026-13-01",
        "?group=year",
        "?from=2026-02-01&to=2026-01-01",
        "?from=2000-01-01&to=2026-01-01",
    ):
        status, _, _ = await get(live, sup.cookie, "/api/stats.csv" + query)
        assert status == 400, query


async def test_odd_query_values_get_a_clear_refusal(server_factory, clients, caplog):
    """Security review: a range reaching before year 1 and an audit cursor that is not
    a plain number answered 500 with a traceback in the log; now 400 ``invalid``."""
    live = await server_factory()
    _, admin = await staff(live, clients, "admin")
    import json

    for path in (
        "/api/stats?to=0001-01-01",
        "/api/stats?from=x",
        "/api/admin/audit?before=%C2%B2",
        "/api/admin/audit?before=" + "9" * 30,
        "/api/admin/audit?before=-1",
    ):
        status, _, text = await get(live, admin.cookie, path)
        assert status == 400 and json.loads(text)["error"]["code"] == "invalid", path
    status, _, _ = await get(live, admin.cookie, "/api/admin/audit?before=1700000000000")
    assert status == 200
    assert not [r for r in caplog.records if r.levelname == "ERROR" or r.exc_info]
