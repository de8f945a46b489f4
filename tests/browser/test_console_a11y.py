"""Every console view, logged in, for every role, in Swedish and Arabic, at 1280×800,
1024×768 and 360×640: axe-core finds no WCAG 2.1 A/AA violation, no view scrolls
sideways on a phone, and with a chat open the composer and its Send button are whole
on screen (not cut off by a wrapping top bar, not covered by a notice)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .console import SHOTS, Console, axe_violations, catalog, sideways_overflow, start_visitor

pytestmark = pytest.mark.browser

VIEWPORTS = {
    "1280": {"width": 1280, "height": 800},
    "1024": {"width": 1024, "height": 768},
    "360": {"width": 360, "height": 640},
}
ADMIN_SECTIONS = ("accounts", "hours", "canned", "audit")


async def composer_problems(page: Any, where: str) -> list[str]:
    """The composer and Send must lie inside the window and be the topmost element at
    their centre (nothing covers them)."""
    box = await page.evaluate(
        """() => {
            const out = [];
            for (const sel of ['.composer textarea', '.composer button[type=submit]']) {
                const el = document.querySelector(sel);
                if (!el) { out.push(sel + ' missing'); continue; }
                const r = el.getBoundingClientRect();
                if (r.top < 0 || r.left < 0 || r.bottom > innerHeight + 0.5 || r.right > innerWidth + 0.5)
                    out.push(sel + ' outside the window: ' + JSON.stringify([r.left, r.top, r.right, r.bottom]));
                const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                if (top !== el && !el.contains(top)) out.push(sel + ' covered by ' + (top ? top.className : 'nothing'));
            }
            return out;
        }"""
    )
    return [f"{where}: {p}" for p in box]


async def walk(c: Console, role: str, locale: str, found: dict[str, Any]) -> None:
    t = c.t
    nav = c.page.locator("nav.views button.view-tab")
    views = [await nav.nth(i).get_attribute("data-view") for i in range(await nav.count())]
    expected = {"operator": {"work"}, "supervisor": {"work", "supervision", "referrals", "stats"}}
    expected["admin"] = expected["supervisor"] | {"admin"}
    assert set(views) == expected[role], views
    for vp_name, viewport in VIEWPORTS.items():
        await c.page.set_viewport_size(viewport)
        for view in views:
            await c.page.locator(f"nav.views button[data-view='{view}']").click()
            await c.page.wait_for_timeout(350)
            screens = [view]
            if view == "admin":
                screens = [f"admin-{s}" for s in ADMIN_SECTIONS]
            for screen in screens:
                if screen.startswith("admin-"):
                    await c.page.locator(f"button[data-section='{screen[6:]}']").click()
                    await c.page.wait_for_timeout(350)
                where = f"{role}/{locale}/{vp_name}/{screen}"
                if vp_name != "1024":
                    await c.page.screenshot(path=str(SHOTS / f"a11y-{role}-{locale}-{vp_name}-{screen}.png"))
                violations = await axe_violations(c.page)
                if violations:
                    found[where] = violations
                if vp_name == "360":
                    overflow = await sideways_overflow(c.page)
                    if overflow:
                        found[where + " sideways"] = overflow
                if screen == "work" and vp_name != "360":
                    problems = await composer_problems(c.page, where)
                    if problems:
                        found[where + " composer"] = problems
                if vp_name == "1280":
                    # Every role's top bar holds on one line (it used to wrap for admins).
                    height = await c.page.locator("header.topbar").evaluate("n => n.getBoundingClientRect().height")
                    if height > 60:
                        found[where + " top bar"] = f"wraps: {height:.0f} px high"
    assert t("Log out")


@pytest.mark.parametrize("locale", ["sv", "ar"])
async def test_every_view_for_every_role_is_accessible(server, console_factory, visitor, locale) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, Any] = {}
    for role in ("operator", "supervisor", "admin"):
        creds = await server.create_staff(role, name="Lina Svensson", locale=locale, languages=["sv", "ar"])
        c: Console = await console_factory(f"a11y-{role}-{locale}")
        await c.login(creds)
        if locale != "sv":
            await c.page.locator(f"html[lang='{locale}']").wait_for(state="attached")
            c.t = await catalog(server.url, locale)
        # A chat open in the work view, so the composer is measured.
        await c.go_on_duty()
        _v, _cid, pseudonym = await start_visitor(visitor, locale="ar", topic="marriage", age_band="16-17", urgent=True)
        await c.page.locator("#queue-list button.primary").first.click()
        await c.tab(pseudonym).wait_for()
        await walk(c, role, locale, found)
        await c.page.context.close()
    assert not found, "accessibility or layout problems:\n" + json.dumps(found, indent=1, ensure_ascii=False)
