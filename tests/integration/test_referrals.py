"""The referral directory and referral cards through the real server."""

from __future__ import annotations

import aiohttp

from chat_server.transport import keys as K

DALARNA = [
    "Avesta",
    "Borlänge",
    "Falun",
    "Gagnef",
    "Hedemora",
    "Leksand",
    "Ludvika",
    "Malung-Sälen",
    "Mora",
    "Orsa",
    "Rättvik",
    "Smedjebacken",
    "Säter",
    "Vansbro",
    "Älvdalen",
]
CARD_FIELDS = {
    "id",
    "type",
    "type_label",
    "name",
    "what",
    "how",
    "hours",
    "say",
    "switchboard",
    "rights",
    "languages",
    "national",
}


async def api(server, session, method, path, body=None, csrf=True):
    headers = {"Cookie": session.cookie}
    if csrf:
        headers["X-CSRF-Token"] = session.csrf
    async with aiohttp.ClientSession() as http:
        async with http.request(method, server.url + path, json=body, headers=headers) as resp:
            return resp.status, await resp.json()


async def test_directory_is_seeded_with_dalarna_and_national_services(server, operator):
    assert await server.durable.get_kv("doc", "referrals") is None
    _, session = await operator()
    status, body = await api(server, session, "GET", "/api/referrals", csrf=False)
    assert status == 200
    receivers = body["receivers"]
    assert await server.durable.get_kv("doc", "referrals") is not None  # seeded on first use
    municipal = [r for r in receivers if r["area"]["kind"] == "municipality"]
    assert sorted(r["area"]["name"] for r in municipal) == sorted(DALARNA)
    assert all(r["type"] == "social_services" and r["verify"] is True for r in municipal)
    national = {r["id"]: r for r in receivers if r["area"]["kind"] == "national"}
    numbers = {ch["value"] for r in national.values() for ch in r["channels"] if ch["kind"] == "phone"}
    assert {"112", "114 14", "1177", "116 111", "020-50 50 50"} <= numbers
    assert all(r["verify"] is False for r in national.values())
    assert {t["id"] for t in body["types"]} == {
        "social_services",
        "police",
        "healthcare",
        "civil_society",
        "national_helpline",
    }


async def test_operator_sends_cards_in_the_visitors_language(server, visitor, operator):
    op, _ = await operator()
    v = await visitor(auth={"locale": "en"})
    ack = await v.call("start", {"audience": "self"})
    cid = ack["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    sent = await op.call(
        "referral",
        {"conversation_id": cid, "targets": ["socialtjansten-falun", "kvinnofridslinjen"]},
    )
    assert sent["ok"], sent
    got = await v.wait_for("referral")
    cards = got["cards"]
    assert got["cards"] == sent["cards"] and isinstance(got["ts"], int) and got["id"]
    assert [c["id"] for c in cards] == ["socialtjansten-falun", "kvinnofridslinjen"]
    for c in cards:
        assert set(c) == CARD_FIELDS
        assert c["what"] and c["say"] and c["rights"] and c["how"]
    falun, kfl = cards
    assert falun["type"] == "social_services" and falun["national"] is False
    assert "Social services" in falun["what"]  # generic text, in English
    assert falun["hours"] == "Open on weekdays during office hours."
    assert {"kind": "phone", "value": "023-830 00", "label": "Call", "note": "switchboard"} in falun["how"]
    assert falun["switchboard"].endswith("Socialtjänsten, Falun kommun")
    # The counsellor's log shows the same cards, in the counsellor's language (Swedish).
    logged = await op.wait_for("message", lambda m: m.get("code") == "referral")
    assert logged["id"] == got["id"] and logged["ts"] == got["ts"]
    assert [c["id"] for c in logged["cards"]] == ["socialtjansten-falun", "kvinnofridslinjen"]
    assert {"kind": "phone", "value": "023-830 00", "label": "Ring", "note": "växel"} in logged["cards"][0]["how"]
    assert kfl["national"] is True and "around the clock" in kfl["hours"]
    assert all(h["value"].startswith("https://") for c in cards for h in c["how"] if h["kind"] == "web")
    # Only the types of referral are counted when the chat ends.
    assert (await op.call("end", {"conversation_id": cid}))["ok"]
    keys = {k for _d, k, _n in await server.app[K.SERVICES].stats.totals("2000-01-01", "2999-12-31")}
    assert {"referral:social_services", "referral:national_helpline"} <= keys
    assert not [k for k in keys if "falun" in k or "kvinnofrid" in k]


async def test_referral_refusals(server, visitor, operator):
    op, _ = await operator()
    other, _ = await operator()
    v = await visitor()
    cid = (await v.call("start", {"audience": "self"}))["conversation"]["id"]
    assert (await op.call("accept", {"conversation_id": cid}))["ok"]
    unknown = await op.call("referral", {"conversation_id": cid, "targets": ["no-such-receiver"]})
    assert unknown["error"]["code"] == "not_found"
    for bad in (
        {"conversation_id": cid, "targets": []},
        {"conversation_id": cid},
        {"conversation_id": cid, "targets": "x"},
        {"conversation_id": cid, "targets": ["a"] * 11},
        {"conversation_id": cid, "targets": ["police-11414"], "x": 1},
    ):
        assert (await op.call("referral", bad))["error"]["code"] == "invalid"
    forbidden = await other.call("referral", {"conversation_id": cid, "targets": ["police-11414"]})
    assert forbidden["error"]["code"] == "forbidden"
    assert not v.received("referral")


async def test_coordinators_edit_the_directory(server, operator):
    _, sup = await operator(role="supervisor", duty=False)
    _, op = await operator(duty=False)
    receiver = {
        "type": "civil_society",
        "name": "Exempelföreningen",
        "area": {"kind": "municipality", "name": "Falun"},
        "channels": [{"kind": "web", "value": "https://example.org"}],
        "hours": "Tisdagar 17–20",
        "languages": ["ar", "so"],
        "notes": "Endast exempel.",
        "verify": True,
    }
    status, _ = await api(server, op, "PUT", "/api/admin/referrals/exempel", receiver)
    assert status == 403
    status, _ = await api(server, sup, "PUT", "/api/admin/referrals/exempel", receiver, csrf=False)
    assert status == 403
    status, body = await api(server, sup, "PUT", "/api/admin/referrals/exempel", receiver)
    assert status == 200 and body["receiver"]["id"] == "exempel"
    status, body = await api(
        server,
        sup,
        "PUT",
        "/api/admin/referrals/exempel",
        {**receiver, "channels": [{"kind": "web", "value": "http://x"}]},
    )
    assert status == 400 and body["error"]["code"] == "invalid"
    status, body = await api(server, sup, "PUT", "/api/admin/referrals/exempel", {**receiver, "type": "church"})
    assert status == 400
    _, listing = await api(server, sup, "GET", "/api/referrals", csrf=False)
    assert any(r["id"] == "exempel" and r["hours"] == "Tisdagar 17–20" for r in listing["receivers"])
    status, _ = await api(server, sup, "DELETE", "/api/admin/referrals/exempel")
    assert status == 200
    status, _ = await api(server, sup, "DELETE", "/api/admin/referrals/exempel")
    assert status == 404
    actions = [e["action"] for e in await server.durable.list_audit(20)]
    assert "referral_directory_update" in actions
