"""Checks of the widget's layout on a phone, shared by the phone and refusal tests.

``check_layout`` looks at one state of the widget at the current viewport, from inside
the widget's frame (its viewport is the full-screen panel the loader opens on a phone):

* the quick exit is in view and nothing covers it (one tap away, in every state);
* in the chat: the composer and its Send button are in view and not covered, and the
  newest message's last line is inside the message area and the viewport;
* elsewhere: the view's heading is in view;
* no element is wider than the viewport or sticks out of it, no text overflows a box
  that clips or scrolls it sideways, and the page does not scroll sideways (names of 80
  characters, long words, every language).

The on-screen keyboard is simulated by making the viewport lower (360×340): the loader
and the widget follow ``visualViewport``, which in Chromium is then the smaller window.
"""

from __future__ import annotations

from typing import Any

from .conftest import Visitor

PHONE_SIZES = ({"width": 360, "height": 640}, {"width": 360, "height": 340})

LAYOUT_JS = """(opts) => {
  const vw = document.documentElement.clientWidth;
  const vh = window.innerHeight;
  const problems = [];
  const cls = (el) => (typeof el.className === 'string' && el.className.trim()
      ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + cls(el) +
      ' "' + (el.textContent || '').trim().slice(0, 40) + '"';
  const inView = (el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= -0.5 && r.left >= -0.5 &&
        r.bottom <= vh + 0.5 && r.right <= vw + 0.5;
  };
  // Nothing lies over the element's centre (a sheet, a menu, the keyboard's edge).
  const onTop = (el) => {
    const r = el.getBoundingClientRect();
    const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return !!hit && (hit === el || el.contains(hit));
  };
  const exit = document.querySelector('button.exit');
  if (!exit || !inView(exit) || !onTop(exit)) problems.push('the quick exit is not in view or is covered');
  if (opts.chat) {
    for (const sel of ['#composer', 'button.send']) {
      const el = document.querySelector(sel);
      if (!el || !inView(el) || !onTop(el)) problems.push(sel + ' is not in view or is covered');
    }
    const items = document.querySelectorAll('.log > li');
    const last = items[items.length - 1];
    const area = document.querySelector('.log-wrap');
    if (opts.messages && !last) problems.push('no message in the log');
    if (last && area && opts.newest) {
      const r = last.getBoundingClientRect();
      const a = area.getBoundingClientRect();
      // Its last line is inside the message area and nothing lies over it.
      const text = last.querySelector('.bubble, p') || last;
      const t = text.getBoundingClientRect();
      const hit = document.elementFromPoint(t.left + Math.min(t.width / 2, 20), Math.min(t.bottom, a.bottom) - 4);
      if (!(r.bottom <= a.bottom + 1 && r.bottom > a.top + 8 && r.bottom <= vh + 0.5) || !hit || !last.contains(hit)) {
        problems.push('the newest message is not in view: ' + JSON.stringify([r.top, r.bottom, a.top, a.bottom, vh]));
      }
    }
  } else {
    const h1 = document.querySelector('main h1');
    if (!h1 || !inView(h1)) problems.push('the heading is not in view');
  }
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('.sr')) continue;
    const r = el.getBoundingClientRect();
    if (!r.width && !r.height) continue;
    if (r.right > vw + 0.5 || r.left < -0.5) {
      problems.push('wider than the viewport: ' + name(el) + ' ' + JSON.stringify([r.left, r.right, vw]));
    }
    const cs = getComputedStyle(el);
    if (cs.overflowX !== 'visible' && el.scrollWidth > el.clientWidth + 1) {
      problems.push('text overflows sideways: ' + name(el));
    }
  }
  if (document.documentElement.scrollWidth > vw + 0.5) problems.push('the page scrolls sideways');
  return problems;
}"""


async def check_layout(v: Visitor, state: str, chat: bool = False, messages: bool = False, newest: bool = True) -> None:
    """Screenshot and axe (Visitor.check), then the layout checks above, at every phone
    size (360×640, then the keyboard open at 360×340); back at 360×640 afterwards.
    ``newest=False``: the newest message may be covered (an open menu, for a moment)."""
    for size in PHONE_SIZES:
        await v.page.set_viewport_size(size)
        suffix = "" if size["height"] == 640 else "-keyboard"
        await v.check(state + suffix)
        frame = v.content_frame()
        problems: list[Any] = await frame.evaluate(LAYOUT_JS, {"chat": chat, "messages": messages, "newest": newest})
        # The panel fills the page's viewport: nothing of the chat is off screen.
        box = await v.page.locator("iframe").bounding_box()
        assert box is not None
        if abs(box["height"] - size["height"]) > 1 or abs(box["width"] - size["width"]) > 1:
            problems.append(f"the panel is {box['width']}×{box['height']}, not the viewport {size}")
        v.layout_problems.extend(f"{v.locale} {size['height']} {state}: {p}" for p in problems)
    await v.page.set_viewport_size(PHONE_SIZES[0])


def assert_layout_clean(v: Visitor) -> None:
    if v.layout_problems:
        raise AssertionError("layout problems on a phone:\n" + "\n".join(v.layout_problems))
