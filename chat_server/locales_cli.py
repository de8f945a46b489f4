"""``python -m chat_server locales extract|update|compile|check``.

One Babel pipeline for the server (Python), the widget and the console (JavaScript):
``locales/babel.cfg`` says where to look, ``locales/messages.pot`` is the template and
``locales/<lang>/LC_MESSAGES/messages.po`` the catalogs (the source of truth for every
translation). ``compile`` writes the ``.mo`` files the server loads; the front ends get
the same catalogs as JSON from ``GET /i18n/<locale>.json``. See docs/i18n.md.

``extract`` is deterministic: the same code gives a byte-identical ``messages.pot`` (the
creation date only changes when the content does), so ``check`` can tell a stale
template from a fresh one by rendering the template again and comparing bytes.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .i18n import LOCALES_DIR, PSEUDO_LOCALE, SUPPORTED

KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),  # JS: ngettext("{n} minute", "{n} minutes", n)
    "NP_": (1, 2),  # Python: NP_("{n} minute", "{n} minutes"), then Catalogs.ngettext
}
PLACEHOLDER = re.compile(r"\{[a-zA-Z_][a-zA-Z0-9_]*\}")
# Directories never searched for strings: dependencies and build output.
SKIP_DIRS = frozenset({"node_modules", "static", "__pycache__", "dist", "build"})
REVIEW_NOTE = "awaiting review by a native speaker"
PROJECT = "rc-chat"


@dataclass(frozen=True)
class Layout:
    """Where the sources and the catalogs are; tests point it at a copy."""

    root: Path  # babel.cfg patterns are relative to this
    locales: Path

    @property
    def pot(self) -> Path:
        return self.locales / "messages.pot"

    @property
    def cfg(self) -> Path:
        return self.locales / "babel.cfg"

    def po(self, locale: str) -> Path:
        return self.locales / locale / "LC_MESSAGES" / "messages.po"

    def label(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)


DEFAULT = Layout(LOCALES_DIR.parent, LOCALES_DIR)


# --------------------------------------------------------------------------- reading


def method_map(layout: Layout) -> tuple[list[tuple[str, str]], dict[str, dict[str, str]]]:
    """The ``[method: pattern]`` sections of babel.cfg and their ``key = value`` options."""
    mapping: list[tuple[str, str]] = []
    options: dict[str, dict[str, str]] = {}
    pattern = ""
    for raw in layout.cfg.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            method, _, pattern = line[1:-1].partition(":")
            pattern = pattern.strip()
            mapping.append((pattern, method.strip()))
            options[pattern] = {}
        elif "=" in line and pattern:
            key, _, value = line.partition("=")
            options[pattern][key.strip()] = value.strip()
    return mapping, options


def _keep_dir(dirpath: str) -> bool:
    name = os.path.basename(dirpath)
    return not (name in SKIP_DIRS or name.startswith((".", "_")))


def extract_catalog(layout: Layout = DEFAULT) -> Catalog:
    """Every marked string in the code, as a template catalog."""
    mapping, options = method_map(layout)
    catalog = _new_catalog()
    found = extract_from_dir(
        str(layout.root),
        mapping,
        options,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
        directory_filter=_keep_dir,
    )
    for filename, lineno, message, comments, context in found:
        where = [(filename.replace(os.sep, "/"), lineno)]
        catalog.add(message, None, where, auto_comments=comments, context=context)
    return catalog


def _new_catalog(locale: str | None = None) -> Catalog:
    return Catalog(
        locale=locale,
        project=PROJECT,
        version="1",
        msgid_bugs_address="",
        copyright_holder="the rc-chat authors",
        charset="utf-8",
    )


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def render(catalog: Catalog) -> bytes:
    """A catalog as .po/.pot bytes: sorted, no line numbers, so diffs stay small."""
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
    return buf.getvalue()


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render(catalog))


def _pot_date(layout: Layout) -> datetime | None:
    if not layout.pot.exists():
        return None
    date = _read(layout.pot).creation_date
    return date if isinstance(date, datetime) else None


def render_pot(layout: Layout, date: datetime | None) -> bytes:
    catalog = extract_catalog(layout)
    catalog.creation_date = date or datetime(2026, 1, 1, tzinfo=UTC)
    catalog.revision_date = catalog.creation_date
    return render(catalog)


# --------------------------------------------------------------------------- actions


def extract(layout: Layout = DEFAULT) -> int:
    """Write messages.pot from the code; untouched when nothing changed."""
    old = layout.pot.read_bytes() if layout.pot.exists() else b""
    data = render_pot(layout, _pot_date(layout))
    if data == old:
        print(f"{layout.label(layout.pot)} is up to date")
        return 0
    layout.pot.parent.mkdir(parents=True, exist_ok=True)
    layout.pot.write_bytes(render_pot(layout, datetime.now(UTC).replace(second=0, microsecond=0)))
    print(f"wrote {layout.label(layout.pot)}")
    return 0


def _header(catalog: Catalog, locale: str) -> None:
    """Say in every catalog that it waits for a native speaker's review."""
    catalog.project = PROJECT
    catalog.version = "1"
    catalog.msgid_bugs_address = ""
    catalog.copyright_holder = "the rc-chat authors"
    # A fuzzy header makes `pybabel compile` and msgfmt skip the whole catalog.
    catalog.fuzzy = False
    if locale == PSEUDO_LOCALE:
        catalog.language_team = "pseudo-locale, generated (do not translate)"
        catalog.header_comment = (
            "# Pseudo-locale for tests: every string accented and lengthened, generated by\n"
            "# `python -m chat_server locales update`. Do not edit by hand."
        )
        return
    if not catalog.language_team or "LL@li.org" in catalog.language_team:
        catalog.language_team = REVIEW_NOTE
    if REVIEW_NOTE not in (catalog.header_comment or ""):
        catalog.header_comment = (
            f"# {locale} translations for rc-chat (server, widget and console).\n"
            f"# Status: machine-assisted draft, {REVIEW_NOTE}.\n"
            "# Audience: young people 13-26 who may be in danger at home. Keep it plain,\n"
            "# warm and short; keep {placeholders} and phone numbers exactly. See docs/i18n.md."
        )


def update(layout: Layout = DEFAULT) -> int:
    """Merge messages.pot into every catalog (new entries empty, gone ones obsolete)."""
    for locale in (*SUPPORTED, PSEUDO_LOCALE):
        # A fresh template each time: Babel's update inserts the template's own message
        # objects for new entries, so filling English ones (_english) would otherwise
        # write the English text into every catalog updated after it.
        template = _read(layout.pot)
        path = layout.po(locale)
        catalog = _read(path, locale) if path.exists() else _new_catalog(locale)
        catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
        _header(catalog, locale)
        if locale == PSEUDO_LOCALE:
            catalog.obsolete.clear()
            for message in catalog:
                if message.id:
                    message.string = pseudo(message.id if isinstance(message.id, str) else tuple(message.id))
        elif locale == "en":
            _english(catalog)
        _write(catalog, path)
        print(f"updated {layout.label(path)}")
    return 0


def _english(catalog: Catalog) -> None:
    """English is the source language: an empty entry gets its msgid (plural: the
    singular for "one", the plural for "other"). Polished English may replace it."""
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, str):
            if not message.string:
                message.string = message.id
        elif not all(_strings(message.string)):
            message.string = (message.id[0], message.id[1])


def pseudo(msgid: str | tuple[str, ...]) -> str | tuple[str, ...]:
    """Accented, lengthened and bracketed: hard-coded text stands out next to it."""
    if isinstance(msgid, tuple):
        return tuple(str(pseudo(m)) for m in msgid)
    table = str.maketrans("aeiouyAEIOUYcnsz", "åéîøüýÅÉÎØÜÝçñšž")
    out, depth = [], 0
    for ch in msgid:
        depth += ch == "{"
        out.append(ch if depth else ch.translate(table))
        depth -= ch == "}"
    # About 30 % longer, as German or Finnish often are: layouts must cope.
    pad = "~" * max(2, len(msgid) // 3)
    return "⟦" + "".join(out) + " " + pad + "⟧"


# Kept for callers of the old name.
_pseudo = pseudo


def compile_all(layout: Layout = DEFAULT) -> int:
    """Write a .mo next to every .po (fuzzy entries left out)."""
    count = 0
    for locale in (*SUPPORTED, PSEUDO_LOCALE):
        path = layout.po(locale)
        if not path.exists():
            continue
        catalog = _read(path, locale)
        with path.with_suffix(".mo").open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        count += 1
    print(f"compiled {count} catalogs")
    return 0


# --------------------------------------------------------------------------- check


def placeholders(text: str) -> list[str]:
    """The {name} placeholders of a text, sorted, duplicates kept."""
    return sorted(PLACEHOLDER.findall(text))


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, (tuple, list)):
        return tuple(str(v or "") for v in value)
    return (str(value or ""),)


# Scripts other than Latin: an English phrase in the catalog cannot be a translation.
NON_LATIN = frozenset({"ar", "fa", "ckb", "ti"})
WORD = re.compile(r"[A-Za-z]{2,}")


def _english_copy(locale: str, msgid: str) -> bool:
    """Whether a msgstr equal to its msgid is an English placeholder, not a translation.
    Short labels may rightly stay the same ("Status" in Swedish, "Alt+{n}", "CSV");
    a phrase of three words or more, or any English phrase in a non-Latin script, may not."""
    words = WORD.findall(PLACEHOLDER.sub("", msgid))
    if locale in NON_LATIN:
        return len(words) >= 2 or any(len(w) >= 4 and not w.isupper() for w in words)
    return len(words) >= 3


def _message_problems(locale: str, message: Message, nplurals: int) -> Iterator[str]:
    label = f"{locale}: {str(message.id if isinstance(message.id, str) else message.id[0])[:60]!r}"
    if message.fuzzy:
        yield f"{label} is fuzzy"
    strings = _strings(message.string)
    if isinstance(message.id, (tuple, list)) and len(strings) != nplurals:
        yield f"{label} has {len(strings)} plural forms, expected {nplurals}"
    if not all(s.strip() for s in strings):
        yield f"{label} is untranslated"
        return
    ids = _strings(message.id)
    if locale not in ("en", PSEUDO_LOCALE) and strings == ids and _english_copy(locale, ids[0]):
        yield f"{label} is untranslated (a copy of the English msgid)"
    expected = sorted(set().union(*(set(placeholders(i)) for i in ids)))
    for text in strings:
        got = sorted(set(placeholders(text)))
        # A plural form may leave out {n} (Arabic "one" says "a minute"), nothing else.
        dropped_n = set(expected) - set(got) <= {"{n}"} and set(got) <= set(expected)
        if got != expected and not (len(ids) > 1 and dropped_n):
            yield f"{label} has placeholders {got}, expected {expected}"


def problems(layout: Layout = DEFAULT, locales: Iterable[str] = (*SUPPORTED, PSEUDO_LOCALE)) -> list[str]:
    """Everything that makes the catalogs unfit to ship; empty when all is well."""
    found: list[str] = []
    fresh = extract_catalog(layout)
    fresh_ids = {m.id for m in fresh if m.id}
    if not layout.pot.exists():
        found.append(f"{layout.label(layout.pot)} is missing: run `locales extract`")
    elif layout.pot.read_bytes() != render_pot(layout, _pot_date(layout)):
        current = {m.id for m in _read(layout.pot) if m.id}
        found.append(
            f"{layout.label(layout.pot)} is stale ({len(fresh_ids - current)} new, "
            f"{len(current - fresh_ids)} gone, or moved): "
            "run `locales extract` then `locales update`"
        )
    for locale in locales:
        path = layout.po(locale)
        if not path.exists():
            found.append(f"{locale}: catalog missing ({layout.label(path)}): run `locales update`")
            continue
        catalog = _read(path, locale)
        ids = {m.id for m in catalog if m.id}
        for missing in sorted(map(str, fresh_ids - ids)):
            found.append(f"{locale}: missing {missing!r}: run `locales update`")
        for message in catalog:
            if message.id and message.id in fresh_ids:
                found.extend(_message_problems(locale, message, catalog.num_plurals))
    return found


def check(layout: Layout = DEFAULT) -> int:
    """Fail on a stale template, a missing, untranslated or fuzzy entry, or placeholders
    that differ between msgid and msgstr."""
    found = problems(layout)
    for line in found[:200]:
        print(line, file=sys.stderr)
    if found:
        print(f"locales check: {len(found)} problem(s); see docs/i18n.md", file=sys.stderr)
        return 1
    count = len([m for m in _read(layout.pot) if m.id])
    print(f"locales check: {len(SUPPORTED)} catalogs complete, {count} messages")
    return 0


def run(action: str, layout: Layout = DEFAULT) -> int:
    actions = {"extract": extract, "update": update, "compile": compile_all, "check": check}
    return actions[action](layout)
