"""``python -m chat_server locales extract|update|compile|check``.

One Babel pipeline for the server (Python), the widget and the console (JavaScript):
``locales/babel.cfg`` says where to look, ``locales/messages.pot`` is the template and
``locales/<lang>/LC_MESSAGES/messages.po`` the catalogs.
"""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from .i18n import LOCALES_DIR, PSEUDO_LOCALE, SUPPORTED

ROOT = LOCALES_DIR.parent
POT = LOCALES_DIR / "messages.pot"
CFG = LOCALES_DIR / "babel.cfg"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"\{[a-zA-Z_][a-zA-Z0-9_]*\}")


def _method_map() -> list[tuple[str, str]]:
    mapping: list[tuple[str, str]] = []
    section = None
    for line in CFG.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            method, _, pattern = section.partition(":")
            mapping.append((pattern.strip(), method.strip()))
    return mapping


def extract_catalog() -> Catalog:
    catalog = Catalog(project="rc-chat", msgid_bugs_address="", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), _method_map(), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True
    ):
        if "node_modules" in filename or "/static/" in filename:
            continue
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _po_path(locale: str) -> Path:
    return LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po"


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=locale)


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, omit_header=False, sort_output=True, include_lineno=False)
    path.write_bytes(buf.getvalue())


def extract() -> int:
    _write(extract_catalog(), POT)
    print(f"wrote {POT.relative_to(ROOT)}")
    return 0


def update() -> int:
    template = _read(POT)
    for locale in (*SUPPORTED, PSEUDO_LOCALE):
        path = _po_path(locale)
        catalog = _read(path, locale) if path.exists() else Catalog(locale=locale)
        catalog.update(template, no_fuzzy_matching=True)
        if locale == PSEUDO_LOCALE:
            for message in catalog:
                if message.id:
                    message.string = _pseudo(message.id)  # type: ignore[assignment]
        _write(catalog, path)
        print(f"updated {path.relative_to(ROOT)}")
    return 0


def _pseudo(msgid: str | tuple[str, ...]) -> str | tuple[str, ...]:
    """Accented, lengthened and bracketed: hard-coded text stands out next to it."""
    if isinstance(msgid, tuple):
        return tuple(_pseudo(m) for m in msgid)  # type: ignore[misc]
    table = str.maketrans("aeiouyAEIOUYcnsz", "åéîøüýÅÉÎØÜÝçñšž")
    out, depth = [], 0
    for ch in msgid:
        depth += ch == "{"
        out.append(ch if depth else ch.translate(table))
        depth -= ch == "}"
    return "⟦" + "".join(out) + " ~~" + "⟧"


def compile_all() -> int:
    count = 0
    for locale in (*SUPPORTED, PSEUDO_LOCALE):
        path = _po_path(locale)
        if not path.exists():
            continue
        catalog = _read(path, locale)
        with (path.with_suffix(".mo")).open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        count += 1
    print(f"compiled {count} catalogs")
    return 0


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def check() -> int:
    """Fail on a stale template, a missing, untranslated or fuzzy entry, or placeholders
    that differ between msgid and msgstr."""
    problems: list[str] = []
    fresh = {m.id for m in extract_catalog() if m.id}
    if not POT.exists():
        problems.append("locales/messages.pot is missing: run `locales extract`")
        current: set[object] = set()
    else:
        current = {m.id for m in _read(POT) if m.id}
    if fresh != current:
        added = len(fresh - current)
        removed = len(current - fresh)
        problems.append(
            f"messages.pot is stale ({added} new, {removed} gone): run `locales extract` then `locales update`"
        )
    for locale in SUPPORTED:
        path = _po_path(locale)
        if not path.exists():
            problems.append(f"{locale}: catalog missing")
            continue
        catalog = _read(path, locale)
        ids = {m.id for m in catalog if m.id}
        for missing in sorted(map(str, fresh - ids))[:5]:
            problems.append(f"{locale}: missing {missing!r}")
        for message in catalog:
            if not message.id or message.id not in fresh:
                continue
            label = f"{locale}: {str(message.id)[:60]!r}"
            if message.fuzzy:
                problems.append(f"{label} is fuzzy")
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            ids_ = message.id if isinstance(message.id, tuple) else (message.id,)
            if not all(strings):
                problems.append(f"{label} is untranslated")
                continue
            expected = set().union(*(_placeholders(i) for i in ids_))
            for s in strings:
                if _placeholders(s) != expected:
                    problems.append(f"{label} has placeholders {sorted(_placeholders(s))}, expected {sorted(expected)}")
    for line in problems[:200]:
        print(line, file=sys.stderr)
    if problems:
        print(f"locales check: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    print(f"locales check: {len(SUPPORTED)} catalogs complete, {len(fresh)} messages")
    return 0


def run(action: str) -> int:
    return {"extract": extract, "update": update, "compile": compile_all, "check": check}[action]()
