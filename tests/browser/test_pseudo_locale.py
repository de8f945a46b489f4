"""Hard-coded text hunt: the widget and the console in the pseudo-locale ``qps``.

Every string from the catalogs is accented, lengthened and wrapped in ⟦…⟧ in ``qps``
(see chat_server.locales_cli.pseudo). Any visible text (or aria-label, title,
placeholder) without the brackets did not come from a catalog: hard-coded text, or
fragments glued together. Allowed untranslated: data (phone numbers, helpline names,
language names in their own script) and text without letters (digits, punctuation).
Chromium is launched by the `browser` fixture (tests/browser/conftest.py): headless,
--no-sandbox, --disable-gpu, --disable-quic and no background networking.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chat_server.i18n import LANGUAGES, PSEUDO_LOCALE
from chat_server.locales_cli import pseudo
from chat_server.transport import keys as K

from ..conftest import LiveServer
from ..helpers import Recorder
from .conftest import HostSite, widget_context
from .console import seed_statistics

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "screenshots" / "locales"
PSEUDO_NAME = "⟦Pséüdø⟧"
# Data, not interface text: names of services and numbers shown as they are.
DATA = {"112", "BRIS", "Kvinnofridslinjen", "1177", "116 111", "020-50 50 50", "114 14", "RC"}
LANGUAGE_NAMES = {lang.name for lang in LANGUAGES}
DATA_PATTERNS = (
    re.compile(r"[ACDEFHJKLMNPRTUVWXY3479]{4}"),  # a visitor's pseudonym
    re.compile(r"[A-Z]{2,3}"),  # language codes, e.g. "SV · AR"
    re.compile(r"\{.*\}"),  # audit-log details (JSON)
)
# qps has no CLDR data: Intl formats dates in the browser's own locale (sv-SE here).
INTL_WEEKDAYS = {"måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"}
INTL_MONTH_YEAR = re.compile(r"(jan|feb|mars|apr|maj|juni|juli|aug|sep|okt|nov|dec)\.? \d{4}")  # "okt. 2026"

# Collects what a person sees or hears: visible text nodes (screen-reader-only text
# included, it is read aloud), and the attributes that become names or hints.
COLLECT = """() => {
  const out = [];
  const seen = (el) => el && el.checkVisibility({checkVisibilityCSS: true});
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue.trim();
    if (t && seen(n.parentElement) && !n.parentElement.closest('script,style,[data-user-content]'))
      out.push({text: t, where: n.parentElement.outerHTML.slice(0, 160)});
  }
  for (const el of document.body.querySelectorAll('[aria-label],[title],[placeholder],[alt]')) {
    if (!seen(el)) continue;
    for (const a of ['aria-label', 'title', 'placeholder', 'alt']) {
      const v = (el.getAttribute(a) || '').trim();
      if (v) out.push({text: v, where: a + ' of ' + el.outerHTML.slice(0, 160)});
    }
  }
  if (document.title.trim()) out.push({text: document.title.trim(), where: 'document.title'});
  return out;
}"""


def _is_data(part: str, allowed: frozenset[str]) -> bool:
    return (
        part in DATA
        or part in LANGUAGE_NAMES
        or part in allowed
        or part in INTL_WEEKDAYS
        or INTL_MONTH_YEAR.fullmatch(part)
        or not re.search(r"[^\W\d_]", part)  # no letters: numbers, times, "…"
        or any(p.fullmatch(part) for p in DATA_PATTERNS)
    )


def untranslated(found: list[dict[str, str]], allowed: frozenset[str] = frozenset()) -> list[str]:
    """The texts that are neither pseudo-translated nor data. Lists of data joined with
    separators (", ", " · ") pass; words around a pseudo string mean glued fragments."""
    bad = []
    for item in found:
        text = item["text"]
        rest = text
        while True:  # innermost first: "⟦⟦Chats⟧ – RC console⟧" nests one in another
            stripped = re.sub(r"⟦[^⟦⟧]*⟧", " · ", rest)
            if stripped == rest:
                break
            rest = stripped
        parts = [p for p in re.split(r"\s*[,·]\s*", rest.strip()) if p]
        odd = [p for p in parts if not _is_data(p, allowed)]
        if odd:
            label = "glued" if rest != text else "not from a catalog"
            bad.append(f"{label}: {text!r} in {item['where']}")
    return bad


def P(msgid: str) -> str:
    """The pseudo-translation of a msgid, as the page shows it."""
    return str(pseudo(msgid))


async def _pseudo_routes(context: Any) -> None:
    """Offer qps in the language list (it is not a product language)."""

    async def locales(route: Any) -> None:
        response = await route.fetch()
        data = await response.json()
        data["locales"].append({"code": PSEUDO_LOCALE, "name": PSEUDO_NAME, "dir": "ltr"})
        await route.fulfill(response=response, body=json.dumps(data), content_type="application/json")

    await context.route("**/i18n/locales.json", locales)

    # The server accepts only product languages: the widget's socket says "sv" instead
    # (server texts then come in Swedish; this test is about the front end's own text).
    def socket(ws: Any) -> None:
        server = ws.connect_to_server()
        ws.on_message(lambda m: server.send(m.replace('"locale":"qps"', '"locale":"sv"') if isinstance(m, str) else m))
        server.on_message(lambda m: ws.send(m))

    await context.route_web_socket(re.compile(r".*/socket\.io/.*"), socket)


@pytest.fixture
async def pseudo_context(browser: Any) -> Any:
    context = await widget_context(browser, viewport={"width": 400, "height": 760}, locale="sv-SE")
    context.set_default_timeout(10_000)
    await _pseudo_routes(context)
    yield context
    await context.close()


class Findings:
    """Untranslated text per view; reported together so one run shows everything."""

    def __init__(self) -> None:
        self.views: dict[str, list[str]] = {}

    async def check(self, frame: Any, page: Any, view: str, allowed: frozenset[str] = frozenset()) -> None:
        await page.wait_for_timeout(100)
        bad = untranslated(await frame.evaluate(COLLECT), allowed)
        if bad:
            self.views[view] = bad
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{PSEUDO_LOCALE}-{view}.png"))

    def assert_clean(self) -> None:
        if self.views:
            pretty = json.dumps(self.views, indent=1, ensure_ascii=False)
            raise AssertionError(f"text that did not come from a catalog:\n{pretty}")


async def test_widget_has_no_hard_coded_text(chat: LiveServer, host_site: HostSite, pseudo_context: Any) -> None:
    host_site.attrs = {"data-locale": PSEUDO_LOCALE}
    page = await pseudo_context.new_page()
    await page.goto(host_site.origin + "/host")
    # The launcher's label is the host page's own (data-label), not from a catalog.
    await page.get_by_role("button", name="Chatta med oss").click()
    frame_el = page.frame_locator("iframe")
    await frame_el.locator("html[lang='qps']").wait_for(state="attached")
    frame = next(f for f in page.frames if f.url.startswith(chat.url + "/widget/"))
    await frame_el.get_by_role("heading", level=1).wait_for()
    found = Findings()

    async def click(msgid: str) -> None:
        await frame_el.get_by_role("button", name=P(msgid)).first.click()

    async def heading(msgid: str) -> None:
        await frame_el.get_by_role("heading", level=1, name=P(msgid), exact=True).wait_for()

    await heading("Choose a language")
    await found.check(frame, page, "widget-language")
    await frame_el.get_by_role("button", name=PSEUDO_NAME, exact=True).click()
    await heading("Talk to us anonymously")
    await found.check(frame, page, "widget-about")
    await click("Myself")
    await heading("What is it about?")
    await found.check(frame, page, "widget-topic")
    await click("Control and restrictions")
    await heading("Are you in danger right now?")
    await found.check(frame, page, "widget-danger")
    await click("Yes")
    await heading("Call 112 now")
    await found.check(frame, page, "widget-urgent")
    await click("Continue to the chat")
    await heading("How old are you?")
    await found.check(frame, page, "widget-age")
    await click("16–17 years")
    await frame_el.get_by_text(P("Waiting for a counsellor"), exact=True).wait_for()
    await found.check(frame, page, "widget-waiting")
    await click("End chat")
    await frame_el.get_by_text(P("Do you want to end the chat?"), exact=True).wait_for()
    await found.check(frame, page, "widget-confirm-end")
    await click("Yes, end the chat")
    await heading("The chat has ended")
    await found.check(frame, page, "widget-ended")
    found.assert_clean()


async def test_console_login_has_no_hard_coded_text(chat: LiveServer, pseudo_context: Any) -> None:
    # The console keeps the staff member's language choice in localStorage.
    await pseudo_context.add_init_script(f"localStorage.setItem('rc-console-locale', '{PSEUDO_LOCALE}')")
    page = await pseudo_context.new_page()
    await page.goto(chat.url + "/console/")
    await page.locator("html[lang='qps']").wait_for(state="attached")
    await page.locator("form, h1").first.wait_for()
    found = Findings()
    await found.check(page.main_frame, page, "console-login")
    found.assert_clean()


def _receiver_data(r: dict[str, Any]) -> set[str]:
    """A receiver's own data as the directory shows it: name, area, contact ways, notes."""
    area = r["area"]
    out = {
        r["name"],
        area.get("name", ""),
        area.get("county", ""),
        area.get("code", ""),
        r.get("notes", ""),
        r.get("hours", ""),
    }
    for c in r["channels"]:
        out |= {c["value"], c.get("note", ""), f"{c['value']} ({c['note']})" if c.get("note") else c["value"]}
    out.add(", ".join(x for x in (area.get("name"), area.get("county"), area.get("code")) if x))
    # The filter reads lists joined by "," and "·" part by part.
    parts = {part.strip() for x in out for part in re.split(r"[,·]", x)}
    return {x for x in out | parts if x}


def test_untranslated_filter() -> None:
    """The filter itself: pseudo text passes, glued or plain text does not."""
    items = [
        {"text": P("Send"), "where": "a"},
        {"text": "112", "where": "b"},
        {"text": "14:05", "where": "c"},
        {"text": "العربية", "where": "d"},
        {"text": "Skicka", "where": "e"},
        {"text": P("You") + " said", "where": "f"},
    ]
    items.append({"text": "⟦⟦Çhåtš ~~⟧ – RC çøñšølé ~~⟧", "where": "g"})
    items.append({"text": "Svenska, العربية · " + P("Marriage"), "where": "h"})
    bad = untranslated(items)
    assert len(bad) == 2 and "Skicka" in bad[0] and bad[1].startswith("glued"), bad


async def test_console_views_have_no_hard_coded_text(chat: LiveServer, pseudo_context: Any) -> None:
    """Logged in as an admin with a visitor waiting: chats, supervision and every
    administration section."""
    creds = await chat.create_staff("admin", name="Sara", languages=["sv", "ar"])
    await seed_statistics(chat)
    visitor = Recorder(chat.url, "/visitor")
    await visitor.connect()
    await visitor.wait_for("session")
    ack = await visitor.call(
        "start",
        {
            "locale": "ar",
            "audience": "self",
            "topic": "marriage",
            "urgent": True,
            "age_band": "16-17",
        },
    )
    assert ack["ok"], ack

    async def as_pseudo(route: Any) -> None:
        # The console switches to the account's language after login: make that qps.
        response = await route.fetch()
        data = await response.json()
        if isinstance(data.get("staff"), dict):
            data["staff"]["locale"] = PSEUDO_LOCALE
        await route.fulfill(response=response, body=json.dumps(data), content_type="application/json")

    await pseudo_context.route("**/api/login", as_pseudo)
    await pseudo_context.route("**/api/me", as_pseudo)
    await pseudo_context.add_init_script(f"localStorage.setItem('rc-console-locale', '{PSEUDO_LOCALE}')")
    page = await pseudo_context.new_page()
    await page.set_viewport_size({"width": 1280, "height": 900})
    try:
        await page.goto(chat.url + "/console/")
        await page.get_by_label(P("Username")).fill(creds.username)
        await page.get_by_label(P("Password")).fill(creds.password)
        await page.get_by_label(P("Code from your authenticator app")).fill(creds.next_code())
        await page.get_by_role("button", name=P("Log in")).click()
        nav = page.get_by_role("navigation", name=P("Console sections"))
        await nav.wait_for()
        await page.wait_for_timeout(500)
        found = Findings()
        await found.check(page.main_frame, page, "console-chats", frozenset({"Sara"}))
        await nav.get_by_role("button", name=P("Supervision")).click()
        await page.wait_for_timeout(500)
        await found.check(page.main_frame, page, "console-supervision", frozenset({"Sara"}))
        await nav.get_by_role("button", name=P("Administration")).click()
        await page.wait_for_timeout(500)
        sections = page.locator("main button.view-tab")
        for index in range(await sections.count()):
            await sections.nth(index).click()
            await page.wait_for_timeout(400)
            await found.check(
                page.main_frame,
                page,
                f"console-admin-{index + 1}",
                frozenset({"Sara", creds.username}),
            )
        # The referral directory (its table and the editor are data and words) and the
        # statistics (headline, trends, every dimension in words, never a raw key).
        directory = {r["name"] for r in (await chat.app[K.SERVICES].directory.all())}
        receivers = directory | {a for r in await chat.app[K.SERVICES].directory.all() for a in _receiver_data(r)}
        await nav.locator("button[data-view='referrals']").click()
        await page.locator("table.directory-table tbody tr").first.wait_for()
        await found.check(page.main_frame, page, "console-directory", frozenset({"Sara", *receivers}))
        await page.locator("table.directory-table tbody tr").nth(5).get_by_role("button", name=P("Edit")).click()
        await page.locator("form.receiver-editor").wait_for()
        await found.check(page.main_frame, page, "console-directory-editor", frozenset({"Sara", *receivers}))
        await nav.locator("button[data-view='stats']").click()
        await page.locator("section.headline").wait_for()
        await found.check(page.main_frame, page, "console-statistics", frozenset({"Sara"}))
        text = await page.locator("main").inner_text()
        raw = [k for k in ("missing", "issued", "0-1m", "unanswered", "over-26", "recorded") if k in text.split()]
        assert not raw, f"raw keys on the statistics page: {raw}"
        found.assert_clean()
    finally:
        await visitor.disconnect()
