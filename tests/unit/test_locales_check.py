"""`python -m chat_server locales extract|update|compile|check` on copies of the catalogs.

A tiny project in tmp (Python and JavaScript in the code style of the widget and the
console) goes through the whole pipeline; then each way of breaking it must make
`check` fail. The real catalogs are copied too, broken, and must fail the same way.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo

from chat_server import locales_cli as cli
from chat_server.i18n import PSEUDO_LOCALE, SUPPORTED

REPO = Path(__file__).resolve().parents[2]

PY_SOURCE = """
from chat_server.i18n import N_, NP_

CLOSED = N_("The chat is closed right now.")
HELLO = N_("Hello {name}.")
WAITING = NP_("{n} person is waiting.", "{n} people are waiting.")

def waiting(t, locale, n):
    return t.ngettext(locale, *WAITING, n)
"""

JS_SOURCE = """
// An ES module like the widget's: imports, arrow functions, template literals, no JSX.
import { _, fmt } from "./i18n.js";

export const label = (count) => (count < 2 ? _("Send") : _('Send all'));

export function card(name) {
  const hint = `${_("(opens in a new tab)")}`;
  const title = fmt(_("You are chatting with {name}."), { name });
  return [hint, title, ngettext("{n} unread", "{n} unread", 3)];
}

const views = { a: () => _("Back"), b: async () => { await x; return _("Try again"); } };
"""

EXPECTED = {
    "The chat is closed right now.",
    "Hello {name}.",
    ("{n} person is waiting.", "{n} people are waiting."),
    "Send",
    "Send all",
    "(opens in a new tab)",
    "You are chatting with {name}.",
    ("{n} unread", "{n} unread"),
    "Back",
    "Try again",
}


def _fill_all(layout: cli.Layout) -> None:
    """Translate every entry of every catalog ("T:" + msgid), keeping placeholders."""
    for locale in SUPPORTED:
        path = layout.po(locale)
        catalog = cli._read(path, locale)
        for message in catalog:
            if not message.id:
                continue
            if isinstance(message.id, str):
                message.string = "T:" + message.id
            else:
                forms = [message.id[0]] + [message.id[1]] * (catalog.num_plurals - 1)
                message.string = tuple("T:" + f for f in forms[: catalog.num_plurals])
        path.write_bytes(cli.render(catalog))


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> cli.Layout:
    (tmp_path / "chat_server").mkdir()
    (tmp_path / "chat_server" / "mod.py").write_text(PY_SOURCE, encoding="utf-8")
    (tmp_path / "widget" / "src" / "app").mkdir(parents=True)
    (tmp_path / "widget" / "src" / "app" / "view.js").write_text(JS_SOURCE, encoding="utf-8")
    # Dependencies and build output are never searched.
    (tmp_path / "widget" / "node_modules" / "dep").mkdir(parents=True)
    (tmp_path / "widget" / "node_modules" / "dep" / "x.js").write_text('_("Dependency text")')
    (tmp_path / "locales").mkdir()
    shutil.copy(REPO / "locales" / "babel.cfg", tmp_path / "locales" / "babel.cfg")
    layout = cli.Layout(tmp_path, tmp_path / "locales")
    assert cli.run("extract", layout) == 0
    assert cli.run("update", layout) == 0
    _fill_all(layout)
    assert cli.run("compile", layout) == 0
    assert cli.run("check", layout) == 0, cli.problems(layout)
    capsys.readouterr()
    return layout


def _ids(layout: cli.Layout) -> set[object]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in cli._read(layout.pot) if m.id}


def _edit(layout: cli.Layout, locale: str, msgid: str, **changes: object) -> None:
    path = layout.po(locale)
    catalog = cli._read(path, locale)
    message = catalog[msgid]
    assert message is not None
    for key, value in changes.items():
        if key == "fuzzy":
            message.flags.add("fuzzy")
        else:
            setattr(message, key, value)
    path.write_bytes(cli.render(catalog))


def _fails_with(layout: cli.Layout, pattern: str) -> None:
    found = cli.problems(layout)
    assert any(re.search(pattern, p) for p in found), found
    assert cli.check(layout) == 1


# ----------------------------------------------------------------------------- pipeline


def test_extract_finds_python_and_es_module_strings(project: cli.Layout) -> None:
    assert _ids(project) == EXPECTED


def test_extract_is_deterministic(project: cli.Layout) -> None:
    before = project.pot.read_bytes()
    assert cli.extract(project) == 0
    assert project.pot.read_bytes() == before
    assert cli.render_pot(project, cli._pot_date(project)) == before


def test_update_marks_catalogs_for_review_and_pseudo_translates(project: cli.Layout) -> None:
    for locale in SUPPORTED:
        text = project.po(locale).read_text(encoding="utf-8")
        assert "Language-Team: awaiting review by a native speaker" in text
        assert "awaiting review by a native speaker" in text.split("msgid")[0]
    pseudo = cli._read(project.po(PSEUDO_LOCALE), PSEUDO_LOCALE)
    assert pseudo["Hello {name}."].string.startswith("⟦Héllø {name}. ~~")


def test_compile_writes_mo_with_every_translation(project: cli.Layout) -> None:
    with project.po("sv").with_suffix(".mo").open("rb") as fh:
        mo = read_mo(fh)
    assert mo["Back"].string == "T:Back"


def test_update_keeps_translations_and_adds_new_entries_empty(project: cli.Layout) -> None:
    src = project.root / "widget" / "src" / "app" / "view.js"
    src.write_text(src.read_text() + '\nexport const more = () => _("Brand new.");\n')
    cli.extract(project)
    cli.update(project)
    sv = cli._read(project.po("sv"), "sv")
    assert sv["Back"].string == "T:Back"
    assert sv["Brand new."].string == ""
    # Also in every catalog updated after English (English gets the msgid copied in;
    # the template's entry must not carry that copy to the next locale).
    for locale in SUPPORTED:
        if locale != "en":
            assert cli._read(project.po(locale), locale)["Brand new."].string == "", locale
    # English is the source language: update fills it in.
    assert cli._read(project.po("en"), "en")["Brand new."].string == "Brand new."
    assert cli._read(project.po(PSEUDO_LOCALE), PSEUDO_LOCALE)["Brand new."].string.startswith("⟦")
    _fails_with(project, r"sv: 'Brand new\.' is untranslated")


# -------------------------------------------------------------------------------- check


def test_check_fails_on_untranslated_entry(project: cli.Layout) -> None:
    _edit(project, "ar", "Back", string="")
    _fails_with(project, r"ar: 'Back' is untranslated")


def test_check_fails_on_untranslated_plural_form(project: cli.Layout) -> None:
    _edit(project, "ar", "{n} person is waiting.", string=("a", "b", "", "d", "e", "f"))
    _fails_with(project, r"ar: '\{n\} person is waiting\.' is untranslated")


def test_check_fails_on_too_few_plural_forms(project: cli.Layout) -> None:
    # Arabic needs six forms; Babel reads the missing four as empty strings.
    _edit(project, "ar", "{n} person is waiting.", string=("{n} a", "{n} b"))
    _fails_with(project, r"ar: '\{n\} person is waiting\.' is untranslated")


def test_check_fails_on_an_english_copy(project: cli.Layout) -> None:
    # A placeholder copy of the msgid is not a translation.
    _edit(project, "ar", "You are chatting with {name}.", string="You are chatting with {name}.")
    _fails_with(project, r"ar: .* is untranslated \(a copy of the English msgid\)")
    _edit(project, "tr", "The chat is closed right now.", string="The chat is closed right now.")
    _fails_with(project, r"tr: .* is untranslated \(a copy of the English msgid\)")


def test_short_labels_may_equal_the_msgid(project: cli.Layout) -> None:
    # "Back" could be the same word in another language: no complaint.
    _edit(project, "sv", "Back", string="Back")
    assert cli.problems(project) == []
    # In Arabic script an English word cannot be the translation.
    _edit(project, "ar", "Send", string="Send")
    _fails_with(project, r"ar: 'Send' is untranslated \(a copy")


def test_check_fails_on_fuzzy_entry(project: cli.Layout) -> None:
    _edit(project, "fa", "Send", fuzzy=True)
    _fails_with(project, r"fa: 'Send' is fuzzy")


def test_check_fails_on_changed_placeholder(project: cli.Layout) -> None:
    _edit(project, "sv", "Hello {name}.", string="Hej {namn}.")
    _fails_with(project, r"sv: 'Hello \{name\}\.' has placeholders \['\{namn\}'\], expected \['\{name\}'\]")


def test_check_fails_on_dropped_placeholder(project: cli.Layout) -> None:
    _edit(project, "tr", "You are chatting with {name}.", string="Sohbet ediyorsun.")
    _fails_with(project, r"tr: .* has placeholders \[\], expected \['\{name\}'\]")


def test_check_fails_on_stale_pot_when_code_adds_a_string(project: cli.Layout) -> None:
    src = project.root / "chat_server" / "mod.py"
    src.write_text(src.read_text() + '\nNEW = N_("A new message.")\n')
    _fails_with(project, r"messages\.pot is stale \(1 new, 0 gone")


def test_check_fails_on_stale_pot_when_code_drops_a_string(project: cli.Layout) -> None:
    src = project.root / "widget" / "src" / "app" / "view.js"
    src.write_text(src.read_text().replace('_("Try again")', '"Try again"'))
    _fails_with(project, r"messages\.pot is stale \(0 new, 1 gone")


def test_check_fails_on_missing_pot_and_missing_catalog(project: cli.Layout) -> None:
    project.po("ckb").unlink()
    _fails_with(project, r"ckb: catalog missing")
    project.pot.unlink()
    _fails_with(project, r"messages\.pot is missing")


def test_check_fails_when_the_pseudo_locale_is_stale(project: cli.Layout) -> None:
    # The hard-coded-text test relies on qps holding every msgid.
    catalog = cli._read(project.po(PSEUDO_LOCALE), PSEUDO_LOCALE)
    del catalog["Send"]
    project.po(PSEUDO_LOCALE).write_bytes(cli.render(catalog))
    _fails_with(project, r"qps: missing 'Send'")


def test_check_fails_when_a_catalog_lacks_an_entry(project: cli.Layout) -> None:
    catalog = cli._read(project.po("so"), "so")
    del catalog["Back"]
    project.po("so").write_bytes(cli.render(catalog))
    _fails_with(project, r"so: missing 'Back'")


def test_plural_form_may_leave_out_n_but_nothing_else(project: cli.Layout) -> None:
    # Arabic says "one person" without the digit; that is allowed.
    forms = ("لا أحد", "شخص واحد", "شخصان", "{n} أشخاص", "{n} شخصًا", "{n} شخص")
    _edit(project, "ar", "{n} person is waiting.", string=forms)
    assert not [p for p in cli.problems(project) if p.startswith("ar:")]


# ---------------------------------------------------------------- the real catalogs


@pytest.fixture
def real_copy(tmp_path: Path) -> cli.Layout:
    """The repository's code with a copy of its catalogs."""
    shutil.copytree(REPO / "locales", tmp_path / "locales")
    return cli.Layout(REPO, tmp_path / "locales")


def _some_translated(layout: cli.Layout, locale: str) -> str:
    for message in cli._read(layout.po(locale), locale):
        if message.id and isinstance(message.id, str) and message.string and "{name}" in message.id:
            return message.id
    pytest.skip(f"no translated entry with {{name}} in {locale} yet")


@pytest.mark.parametrize("locale", ["sv", "ckb"])
def test_real_catalogs_fail_check_when_broken(real_copy: cli.Layout, locale: str) -> None:
    msgid = _some_translated(real_copy, locale)
    _edit(real_copy, locale, msgid, string="broken {nme}")
    _fails_with(real_copy, rf"{locale}: {re.escape(repr(msgid[:60]))} has placeholders")
    _edit(real_copy, locale, msgid, string="")
    _fails_with(real_copy, rf"{locale}: {re.escape(repr(msgid[:60]))} is untranslated")
    real_copy.pot.write_text(real_copy.pot.read_text(encoding="utf-8").replace(msgid, msgid + "!"))
    _fails_with(real_copy, r"messages\.pot is stale")


def test_every_js_string_literal_call_is_extracted() -> None:
    """Babel's JavaScript extractor must see every `_("…")` the front ends contain
    (it misses template-literal ones without parse_template_string)."""
    pattern = re.compile(r"""(?<![\w.$])_\(\s*(["'])((?:\\.|(?!\1).)*)\1\s*[,)]""")
    extracted = {m.id for m in cli.extract_catalog(cli.DEFAULT) if isinstance(m.id, str)}
    missed = []
    for folder in ("widget/src", "operator_console/src"):
        for path in sorted((REPO / folder).rglob("*.js")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.lstrip().startswith("//"):
                    continue
                for _, text in pattern.findall(line):
                    text = text.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
                    if text not in extracted:
                        missed.append(f"{path.relative_to(REPO)}: {text}")
    assert not missed, missed


def test_no_js_call_translates_a_non_literal() -> None:
    """`_(variable)` or `_(\\`…${x}\\`)` cannot be extracted: the text would never be translated."""
    bad = re.compile(r"""(?<![\w.$])_\(\s*(?!["'])[^)\s]""")
    found = []
    for folder in ("widget/src", "operator_console/src"):
        for path in sorted((REPO / folder).rglob("*.js")):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if "function _(" in line or line.lstrip().startswith(("//", "*")):
                    continue
                if bad.search(line):
                    found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, found


def test_the_shared_front_end_library_is_extracted_too() -> None:
    """frontend_lib holds the words both front ends share (the referral card's): it is
    in babel.cfg, so every `_("…")` there reaches messages.pot and each catalog. (It was
    once kept free of msgids instead, and the two apps repeated the card's words.)"""
    assert "[javascript: frontend_lib/*.js]" in (REPO / "locales" / "babel.cfg").read_text(encoding="utf-8")
    call = re.compile(r"""(?<![\w.$])_\(\s*"([^"\\]+)"\s*\)""")
    pot = (REPO / "locales" / "messages.pot").read_text(encoding="utf-8")
    found = [
        m.group(1)
        for path in sorted((REPO / "frontend_lib").glob("*.js"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("//")
        for m in call.finditer(line)
    ]
    assert "Opening hours:" in found
    missing = [msgid for msgid in found if f'msgid "{msgid}"' not in pot]
    assert not missing, missing
