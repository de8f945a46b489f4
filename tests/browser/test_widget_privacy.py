"""No trace and no third party: a whole conversation makes requests to the chat server's
origin only (besides the host page's own documents), puts nothing identifying in a query
string, and leaves no cookie, Web Storage, IndexedDB, Cache Storage or service worker in
either origin."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .conftest import Operator, Visitor


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# A browser that blocks third-party storage refuses access inside the cross-site iframe
# (SecurityError): then nothing can be stored there either, which counts as empty.
STORAGE_JS = """async () => {
    const count = async (f) => { try { return await f(); } catch (e) { return 0; } };
    return {
        origin: location.origin,
        cookie: await count(() => document.cookie),
        local: await count(() => localStorage.length),
        session: await count(() => sessionStorage.length),
        idb: await count(async () => (await indexedDB.databases()).length),
        caches: await count(async () => (await caches.keys()).length),
        workers: await count(async () => (await navigator.serviceWorker.getRegistrations()).length),
    };
}"""


async def _conversation(v: Visitor, op: Operator) -> None:
    await v.open_widget()
    await v.start_chat("Svenska", urgent=True)
    await op.accept_next()
    await v.send("Hej")
    await op.wait_visitor_text("Hej")
    await op.typing(True)
    await op.say("Hej, välkommen.")
    await v.frame.locator(".msg--theirs").filter(has_text="Hej, välkommen.").wait_for()
    await v.chat_action("End chat")
    await v.frame.get_by_role("button", name=v.t("Yes, end the chat")).click()
    await v.expect_heading("The chat has ended")


async def _storage_is_empty(v: Visitor) -> None:
    assert await v.context.cookies() == []
    for frame in [v.page.main_frame, v.content_frame()]:
        found = await frame.evaluate(STORAGE_JS)
        assert found == {
            "origin": found["origin"],
            "cookie": "",
            "local": 0,
            "session": 0,
            "idb": 0,
            "caches": 0,
            "workers": 0,
        }, found
    # Also ask the browser itself, per origin (CDP), for anything stored.
    cdp = await v.context.new_cdp_session(v.page)
    for o in [v.host.origin, v.chat.url]:
        usage = await cdp.send("Storage.getUsageAndQuota", {"origin": o})
        assert usage["usage"] == 0, (o, usage)
    await cdp.detach()


def _check_urls(urls: list[str], chat_origin: str) -> None:
    for url in urls:
        parts = urlsplit(url)
        if origin(url) != chat_origin:
            continue
        if parts.path.startswith("/socket.io/"):
            # Engine.IO's own transport parameters only: protocol, transport, session id
            # of this connection, cache buster.
            assert set(parse_qs(parts.query)) <= {"EIO", "transport", "sid", "t"}, url
        elif parts.path == "/widget/" and parts.query:
            # The loader's data-centre, and nothing else: it names the resource centre
            # (the same for every visitor of the page), never anything of the visitor.
            assert parse_qs(parts.query, keep_blank_values=True).keys() == {"centre"}, url
        else:
            assert parts.query == "", url


async def test_only_the_chat_origin_is_contacted(visitor_factory, operator_factory) -> None:
    v: Visitor = await visitor_factory("sv", prefix="privacy-")
    op: Operator = await operator_factory()
    requests: list[tuple[str, str, bool]] = []  # (url, resource type, from the widget frame)
    sockets: list[str] = []
    v.page.on(
        "request",
        lambda r: requests.append((r.url, r.resource_type, r.frame.url.startswith(v.chat.url))),
    )
    v.page.on("websocket", lambda ws: sockets.append(ws.url))
    v.context.on("serviceworker", lambda w: sockets.append("serviceworker " + w.url))

    await v.open_host(via_before=False)
    await _conversation(v, op)

    chat_origin = v.chat.url
    assert sockets and all(
        origin(u.replace("ws://", "http://").replace("wss://", "https://")) == chat_origin for u in sockets
    ), sockets
    assert any(u.startswith(chat_origin + "/widget/") and kind == "document" for u, kind, _ in requests)
    for url, kind, from_widget in requests:
        if from_widget:
            assert origin(url) == chat_origin, url
        elif origin(url) != chat_origin:
            # The host site's own page (and the favicon Chromium asks the host for);
            # the loader itself fetches nothing from the host or anywhere else.
            assert origin(url) == v.host.origin and urlsplit(url).path in (
                "/host",
                "/favicon.ico",
            ), (url, kind)
    # The iframe's configuration travels in the fragment, never the query string (only a
    # data-centre would: it names the centre, nothing about the visitor).
    src = await v.page.locator("iframe").get_attribute("src")
    assert urlsplit(src).query == "" and urlsplit(src).fragment
    _check_urls([u for u, _, _ in requests] + sockets, chat_origin)
    await _storage_is_empty(v)


async def test_demo_page_contacts_only_the_chat_server(browser, chat, operator_factory) -> None:
    """On /demo/ (same origin as the chat server) every single request goes there."""
    from chat_server.services.centre_examples import do_load_example

    from .conftest import PHONE, Visitor, fetch_catalog, widget_context

    # /demo/ embeds the example centre Dalarna (what `make run` loads).
    await do_load_example(chat.services.centres)

    context = await widget_context(browser, viewport=PHONE, locale="sv-SE")
    try:
        page = await context.new_page()
        urls: list[str] = []
        page.on("request", lambda r: urls.append(r.url))
        page.on("websocket", lambda ws: urls.append(ws.url.replace("ws://", "http://")))
        v = Visitor(page, context, None, chat, "sv", await fetch_catalog(chat.url, "sv"), "demo-")  # type: ignore[arg-type]
        op: Operator = await operator_factory(centres={"dalarna": "operator"})  # the demo's centre
        await page.goto(chat.url + "/demo/")
        await v.launcher.wait_for()
        await v.open_widget()
        await v.start_chat("Svenska")
        await op.accept_next()
        await v.send("Hej")
        await op.wait_visitor_text("Hej")
        assert urls
        assert {origin(u) for u in urls} == {chat.url}, urls
        _check_urls(urls, chat.url)
        # First-party here, so storage is accessible: and still empty.
        assert await context.cookies() == []
        for frame in [page.main_frame, v.content_frame()]:
            found = await frame.evaluate(STORAGE_JS)
            assert (
                found["local"],
                found["session"],
                found["idb"],
                found["caches"],
                found["workers"],
            ) == (0, 0, 0, 0, 0)
            assert found["cookie"] == ""
    finally:
        await context.close()
