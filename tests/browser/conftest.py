"""Browser fixtures for the visitor widget: real Chromium (Playwright, async API), a real
chat server, a separate host website on another origin that embeds the widget with one
<script> tag, and a real operator on the /operator namespace.

The host site listens on ``localhost`` and the chat server on ``127.0.0.1``: two
different origins (and sites), as in production where a municipality's website embeds
the chat server's widget.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from chat_server.transport import keys as K

from ..conftest import LiveServer, free_port
from ..helpers import Recorder, StaffLogin, login, new_client_id

#: How long a Playwright wait may take before the test fails (ms). Generous: the browser
#: tests run beside the rest of the suite on two cores (Makefile); a passing wait
#: returns as soon as its condition holds.
BROWSER_TIMEOUT_MS = 20_000

try:
    from playwright.async_api import (
        Browser,
        BrowserContext,
        Frame,
        FrameLocator,
        Page,
        async_playwright,
    )
except ImportError:  # pragma: no cover - the test lock installs playwright
    async_playwright = None

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = ROOT / "screenshots" / "widget"
AXE = ROOT / "widget" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


#: Tests only. The loader's shadow root is closed, so that host-page scripts cannot read
#: or watch inside it (test_widget_host_privacy.py checks that, without this script), and
#: Playwright's locators do not enter closed shadow roots either. Tests that drive the
#: launcher and the loader's quick exit by their roles open it with this init script.
OPEN_SHADOW_ROOTS = """(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    return attach.call(this, Object.assign({}, init, { mode: "open" }));
  };
})();"""


async def widget_context(browser: Browser, **options: Any) -> BrowserContext:
    """A browser context for a host page with the widget, its loader driveable by role
    (see OPEN_SHADOW_ROOTS)."""
    context = await browser.new_context(**options)
    await context.add_init_script(OPEN_SHADOW_ROOTS)
    return context


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here and item.fspath.basename.startswith("test_widget_"):
            item.add_marker(pytest.mark.browser)


# --------------------------------------------------------------------------- host site


HOST_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Stöd för unga – Testby kommun</title></head>
<body>
<header><p>Testby kommun</p></header>
<main><h1>Stöd för unga</h1>
<p>Här finns stöd om du inte får bestämma över ditt eget liv.</p>
<p><label for="q">Sök</label> <input id="q" type="text"></p>
</main>
<script src="{src}" referrerpolicy="no-referrer" async {attrs}></script>
</body></html>
"""

BEFORE_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Start – Testby kommun</title></head>
<body><main><h1>Testby kommun</h1>
<p><a id="go" href="/host">Stöd för unga</a></p></main></body></html>
"""

EXIT_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Väder</title></head>
<body><main><h1 id="exit-page">Väder i dag</h1><p>Molnigt, 8 grader.</p></main></body></html>
"""


class HostSite:
    """A municipality-like website on its own origin that embeds the widget."""

    def __init__(self) -> None:
        self.port = free_port()
        self.origin = f"http://localhost:{self.port}"
        self.chat_url = ""
        self.attrs: dict[str, str] = {}
        self.runner: web.AppRunner | None = None

    @property
    def exit_url(self) -> str:
        return f"{self.origin}/exit"

    async def _host(self, request: web.Request) -> web.Response:
        attrs = {"data-exit-url": self.exit_url, **self.attrs}
        rendered = " ".join(f'{k}="{html.escape(v)}"' for k, v in attrs.items())
        body = HOST_PAGE.format(src=html.escape(self.chat_url + "/widget.js"), attrs=rendered)
        return web.Response(text=body, content_type="text/html")

    async def start(self) -> None:
        app = web.Application()

        def page(text: str) -> Callable[[web.Request], Awaitable[web.Response]]:
            async def handler(request: web.Request) -> web.Response:
                return web.Response(text=text, content_type="text/html")

            return handler

        app.router.add_get("/before", page(BEFORE_PAGE))
        app.router.add_get("/host", self._host)
        app.router.add_get("/exit", page(EXIT_PAGE))
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        await web.TCPSite(self.runner, "localhost", self.port).start()

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()


@pytest.fixture
async def host_site() -> AsyncIterator[HostSite]:
    site = HostSite()
    await site.start()
    yield site
    await site.stop()


@pytest.fixture
async def chat(server_factory: Callable[..., Awaitable[LiveServer]], host_site: HostSite) -> LiveServer:
    """The chat server, allowing the host site to embed /widget/."""
    live = await server_factory(allowed_origins=(host_site.origin,))
    host_site.chat_url = live.url
    return live


# --------------------------------------------------------------------------- browser


def _check_prerequisites() -> None:
    if async_playwright is None:
        pytest.fail("playwright is not installed: run `make test`")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test` (installs chromium)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: build the widget (`make test` runs npm ci)")


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    _check_prerequisites()
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@dataclass
class Catalog:
    """The widget's translations, as the server serves them; falls back to the msgid."""

    locale: str
    messages: dict[str, str]

    def __call__(self, msgid: str) -> str:
        return self.messages.get(msgid) or msgid


async def fetch_catalog(base: str, locale: str) -> Catalog:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/i18n/{locale}.json") as resp:
            data = await resp.json()
    return Catalog(locale, data.get("messages") or {})


@dataclass
class Visitor:
    """A visitor's browser tab on the host site, with the widget's iframe."""

    page: Page
    context: BrowserContext
    host: HostSite
    chat: LiveServer
    locale: str = "sv"
    t: Catalog = field(default_factory=lambda: Catalog("sv", {}))
    shot_prefix: str = ""
    shots: list[Path] = field(default_factory=list)
    violations: dict[str, Any] = field(default_factory=dict)
    layout_problems: list[str] = field(default_factory=list)
    touch: bool = False
    closed_shadow: bool = False  # the loader as shipped: no locator reaches into it

    @property
    def frame(self) -> FrameLocator | Frame:
        # With the loader's shadow root closed no selector finds the iframe, but the
        # browser still lists its frame.
        return self.content_frame() if self.closed_shadow else self.page.frame_locator("iframe")

    def content_frame(self) -> Frame:
        for f in self.page.frames:
            if f.url.startswith(self.chat.url + "/widget/"):
                return f
        raise AssertionError("the widget frame is not there")

    async def frame_ready(self) -> None:
        """Wait until the widget's frame exists (after the launcher was clicked)."""
        for _ in range(200):
            if any(f.url.startswith(self.chat.url + "/widget/") for f in self.page.frames):
                return
            await self.page.wait_for_timeout(50)
        raise AssertionError("the widget frame did not appear")

    @property
    def loader_exit(self) -> Any:
        """The loader's quick exit button (outside the iframe), with the host's own label
        (data-exit-label, "Lämna snabbt" by default) whatever the chat's language."""
        name = self.host.attrs.get("data-exit-label", "Lämna snabbt") if self.host else "Lämna snabbt"
        return self.page.get_by_role("button", name=name)

    @property
    def launcher(self) -> Any:
        return self.page.get_by_role("button", name="Chatta med oss")

    async def open_host(self, via_before: bool = True) -> None:
        if via_before:
            await self.page.goto(self.host.origin + "/before")
            await self.page.click("#go")
            await self.page.wait_for_url(self.host.origin + "/host")
        else:
            await self.page.goto(self.host.origin + "/host")
        await self.launcher.wait_for()

    async def open_widget(self) -> None:
        await self.launcher.click()
        await self.frame.get_by_role("heading", level=1).wait_for()

    def button(self, msgid: str, exact: bool = False) -> Any:
        return self.frame.get_by_role("button", name=self.t(msgid), exact=exact)

    async def chat_menu(self, open: bool = True) -> Any:
        """The chat bar's actions ("End chat", "Get a code to continue later", "Show my
        code again"). On a touch screen they are in a menu, opened (or closed) here; with
        a mouse they stand in the bar. Returns the list's locator."""
        menu = self.frame.locator("button.menu-btn")
        if await menu.is_visible() and (await menu.get_attribute("aria-expanded") == "true") != open:
            await menu.click()
        return self.frame.locator(".menu-list")

    async def chat_action(self, msgid: str) -> None:
        """One of the chat bar's actions (see chat_menu)."""
        await (await self.chat_menu()).get_by_role("button", name=self.t(msgid)).click()

    async def choose_language(self, name: str) -> None:
        await self.frame.get_by_role("button", name=name, exact=True).click()
        await self.frame.locator(f"html[lang='{self.locale}']").wait_for(state="attached")

    async def start_chat(self, language: str, audience: str = "Myself", urgent: bool = False) -> None:
        """From the open widget through the steps into the queue (no screenshots)."""
        await self.choose_language(language)
        await self.button(audience).click()
        await self.button("Skip this question").click()
        await self.button("Yes" if urgent else "No", exact=True).click()
        if urgent:
            await self.button("Continue to the chat").click()
        await self.button("Skip this question").click()
        await self.composer.wait_for()

    @property
    def composer(self) -> Any:
        return self.frame.get_by_role("textbox", name=self.t("Write a message"))

    async def send(self, text: str) -> None:
        await self.composer.fill(text)
        # Enter sends on a computer; on a touch screen it makes a new line.
        if self.touch:
            await self.frame.get_by_role("button", name=self.t("Send"), exact=True).click()
        else:
            await self.composer.press("Enter")

    async def heading(self) -> str:
        return (await self.frame.get_by_role("heading", level=1).inner_text()).strip()

    async def expect_heading(self, msgid: str) -> None:
        await self.frame.get_by_role("heading", level=1, name=self.t(msgid)).wait_for()

    async def check(self, state: str) -> None:
        """Screenshot this state and run axe-core on the widget document."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{self.shot_prefix}{self.locale}-{len(self.shots) + 1:02d}-{state}.png"
        await self.page.wait_for_timeout(150)
        await self.page.screenshot(path=str(path))
        self.shots.append(path)
        # The same WCAG 2.1 A/AA run as the console's (tests/browser/console.py).
        from .console import axe_violations

        result = await axe_violations(self.content_frame(), AXE)
        if result:
            self.violations[state] = result


@pytest.fixture
def visitor_factory(browser: Browser, host_site: HostSite, chat: LiveServer) -> Callable[..., Awaitable[Visitor]]:
    contexts: list[BrowserContext] = []

    async def factory(
        locale: str = "sv",
        viewport: dict[str, int] | None = None,
        prefix: str = "",
        touch: bool = False,
        closed_shadow: bool = False,
        init_script: str | None = None,
    ) -> Visitor:
        # touch: a phone (touch screen, no mouse: `pointer: coarse`, mobile viewport).
        # closed_shadow: the loader as shipped (OPEN_SHADOW_ROOTS not added).
        # init_script: runs in every page and frame before their own scripts.
        context = await (browser.new_context if closed_shadow else partial(widget_context, browser))(
            viewport=viewport or PHONE,
            locale="sv-SE",
            timezone_id="Europe/Stockholm",
            has_touch=touch,
            is_mobile=touch,
        )
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        contexts.append(context)
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        t = await fetch_catalog(chat.url, locale)
        return Visitor(page, context, host_site, chat, locale, t, prefix, touch=touch, closed_shadow=closed_shadow)

    return factory


# --------------------------------------------------------------------------- operator


class Operator:
    """A staff member on /operator, logged in over real HTTP (password + TOTP)."""

    def __init__(self, live: LiveServer, rec: Recorder, session: StaffLogin) -> None:
        self.live = live
        self.rec = rec
        self.session = session
        self.conversation_id = ""

    async def accept_next(self) -> dict[str, Any]:
        queue = await self.rec.wait_for("queue", lambda d: bool(d and d.get("items")))
        cid = queue["items"][0]["id"]
        ack = await self.rec.call("accept", {"conversation_id": cid})
        assert ack["ok"], ack
        self.conversation_id = cid
        await self.rec.wait_for("assigned", lambda d: d["conversation"]["id"] == cid)
        return ack["conversation"]

    async def say(self, text: str) -> dict[str, Any]:
        ack = await self.rec.call(
            "message",
            {"conversation_id": self.conversation_id, "client_id": new_client_id(), "text": text},
        )
        assert ack["ok"], ack
        return ack

    async def typing(self, active: bool) -> None:
        ack = await self.rec.call("typing", {"conversation_id": self.conversation_id, "active": active})
        assert ack["ok"], ack

    async def end(self) -> None:
        ack = await self.rec.call("end", {"conversation_id": self.conversation_id})
        assert ack["ok"], ack

    def visitor_texts(self) -> list[str]:
        """Every visitor message the operator has seen: the history sent with `assigned`
        on accept, then live `message` events."""
        seen: list[dict[str, Any]] = []
        for a in self.rec.received("assigned"):
            if a.get("conversation", {}).get("id") == self.conversation_id:
                seen += a.get("messages") or []
        seen += [m for m in self.rec.received("message") if m.get("conversation_id") == self.conversation_id]
        return [m["text"] for m in seen if m.get("from") == "visitor"]

    async def wait_visitor_text(self, text: str) -> dict[str, Any]:
        return await self.rec.wait_for(
            "message",
            lambda m: m.get("from") == "visitor" and m.get("text") == text,
        )


@pytest.fixture
async def operator_factory(chat: LiveServer) -> AsyncIterator[Callable[..., Awaitable[Operator]]]:
    made: list[Recorder] = []

    async def factory(
        name: str = "Sara", languages: list[str] | None = None, centres: dict[str, str] | None = None
    ) -> Operator:
        """An operator on duty (``centres``: ``{centre: role}``, default the ``default`` centre)."""
        creds = await chat.create_staff(
            "operator", name=name, languages=languages or ["sv", "ar", "en"], centres=centres
        )
        session = await login(chat.url, creds)
        rec = Recorder(chat.url, "/operator", headers={"Cookie": session.cookie})
        made.append(rec)
        await rec.connect()
        await rec.wait_for("session")
        ack = await rec.call("duty", {"on": True, "languages": languages or ["sv", "ar", "en"]})
        assert ack["ok"], ack
        return Operator(chat, rec, session)

    yield factory
    for rec in made:
        try:
            await rec.disconnect()
        except Exception:  # noqa: BLE001
            pass


async def send_referral(live: LiveServer, conversation_id: str, cards: list[dict[str, Any]]) -> None:
    """Deliver a `referral` event to the visitor of a conversation, as the server does."""
    from chat_server.transport.notifier import VISITOR_NS, visitor_room

    await live.app[K.SIO].emit("referral", {"cards": cards}, room=visitor_room(conversation_id), namespace=VISITOR_NS)


def assert_no_violations(visitor: Visitor) -> None:
    if visitor.violations:
        pretty = json.dumps(visitor.violations, indent=1, ensure_ascii=False)
        raise AssertionError(f"axe-core found accessibility violations:\n{pretty}")


# --- the operator console (tests/browser/console.py) ------------------------------------
@pytest.fixture
async def console_browser() -> AsyncIterator[Any]:
    if async_playwright is None:
        pytest.fail("playwright is not installed: run `make test`")
    from .console import AXE

    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: build the console (`make test` runs npm ci)")
    if not (ROOT / "chat_server" / "static" / "console" / "app.js").exists():
        pytest.fail("the console is not built: run `make test` (cd operator_console && npm run build)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        await b.close()


@pytest.fixture
def console_factory(console_browser: Any, server: LiveServer) -> Callable[..., Awaitable[Any]]:
    from .console import DESKTOP, Console, catalog, watch_errors

    async def factory(name: str, locale: str = "sv") -> Any:
        context = await console_browser.new_context(viewport=DESKTOP, locale="sv-SE", timezone_id="Europe/Stockholm")
        context.set_default_timeout(BROWSER_TIMEOUT_MS)
        page = await context.new_page()
        console = Console(page, server, name, await catalog(server.url, locale))
        watch_errors(console)
        return console

    return factory
