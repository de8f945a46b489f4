"""HTTP routes of the core: health, readiness, catalogs, headers."""

from __future__ import annotations

import aiohttp


async def get(url: str, **kw):
    async with aiohttp.ClientSession() as http:
        async with http.get(url, allow_redirects=False, **kw) as resp:
            body = await resp.read()
            return resp.status, resp.headers, body


async def test_health_and_readiness(server):
    status, _, body = await get(server.url + "/healthz")
    assert status == 200 and body == b'{"status": "ok"}'
    status, _, body = await get(server.url + "/readyz")
    assert status == 200 and b"ready" in body


async def test_locales_list_names_each_language_in_its_own_script(server):
    async with aiohttp.ClientSession() as http:
        data = await (await http.get(server.url + "/i18n/locales.json")).json()
    names = {loc["code"]: loc["name"] for loc in data["locales"]}
    assert data["default"] == "sv"
    assert names["ar"] == "العربية" and names["fa"] == "فارسی" and names["sv"] == "Svenska"
    assert {loc["code"] for loc in data["locales"] if loc["dir"] == "rtl"} == {"ar", "fa", "ckb"}


async def test_catalog_json_per_locale(server):
    async with aiohttp.ClientSession() as http:
        ar = await (await http.get(server.url + "/i18n/ar.json")).json()
        assert ar["locale"] == "ar" and ar["dir"] == "rtl" and isinstance(ar["messages"], dict)
        assert (await http.get(server.url + "/i18n/xx.json")).status == 404
        assert (await http.get(server.url + "/i18n/..%2f..%2fetc.json")).status == 404


async def test_security_headers_on_pages_and_errors(server):
    for path in ("/healthz", "/no-such-page", "/api/me"):
        _, headers, _ = await get(server.url + path)
        csp = headers["Content-Security-Policy"]
        assert "object-src 'none'" in csp and "base-uri 'none'" in csp and "'unsafe-inline'" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert "Strict-Transport-Security" not in headers  # only behind TLS


async def test_hsts_behind_a_tls_proxy(server_factory):
    live = await server_factory(trust_proxy=True)
    _, headers, _ = await get(live.url + "/healthz", headers={"X-Forwarded-Proto": "https"})
    assert headers["Strict-Transport-Security"].startswith("max-age=")


async def test_widget_may_be_framed_only_by_allowed_origins(server_factory):
    live = await server_factory(allowed_origins=("https://kommun.example.se",))
    _, headers, _ = await get(live.url + "/widget/")
    assert "frame-ancestors 'self' https://kommun.example.se" in headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in headers
    _, headers, _ = await get(live.url + "/console/")
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"


async def test_static_paths_cannot_escape(server):
    status, _, _ = await get(server.url + "/widget/..%2F..%2Fconfig.py")
    assert status == 404
    status, _, _ = await get(server.url + "/console/%2e%2e/app.py")
    assert status == 404
