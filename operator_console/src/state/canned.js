// Canned responses in the composer, as data: "/" opens them, the words after it search;
// titles in the counsellor's language, the text inserted in the visitor's. Items are
// the server's `canned` lists ({id, title, text}); the same id in two languages is the
// same response (the translated defaults share ids). Pure; test/canned.test.js.

// Lower case without accents, so "halsning" finds "Hälsning".
export function fold(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase();
}

// The visitor-language items, each titled in the staff language where that list has the
// same id: [{id, title, visitorTitle, text}], filtered by `query` (every word must be in
// a title or the text), titles that start with the query first.
export function cannedChoices(visitorItems, staffItems, query = "") {
  const staffTitle = new Map((staffItems || []).map((it) => [it.id, it.title]));
  const words = fold(query).split(/\s+/).filter(Boolean);
  const out = [];
  for (const it of visitorItems || []) {
    const title = staffTitle.get(it.id) || it.title;
    const hay = fold(`${title} ${it.title} ${it.text}`);
    if (!words.every((w) => hay.includes(w))) continue;
    out.push({ id: it.id, title, visitorTitle: it.title, text: it.text });
  }
  if (!words.length) return out;
  const q = fold(query).trim();
  const starts = (c) => (fold(c.title).startsWith(q) || fold(c.visitorTitle).startsWith(q) ? 0 : 1);
  return out.map((c, i) => [starts(c), i, c]).sort((a, b) => a[0] - b[0] || a[1] - b[1]).map((x) => x[2]);
}

// The "/…" being typed at `caret` in `value`: a slash at the start or after a space,
// then no space. Returns {start, query} (start: the slash's index) or null.
export function slashQuery(value, caret) {
  const before = String(value).slice(0, caret);
  const m = /(^|\s)\/([^\s/]*)$/u.exec(before);
  if (!m) return null;
  return { start: before.length - m[2].length - 1, query: m[2] };
}

// Replace the "/…" from `start` to `caret` with `text`. Returns {value, caret}.
export function insertCanned(value, start, caret, text) {
  const head = String(value).slice(0, start);
  const tail = String(value).slice(caret);
  const glue = tail && !/^\s/u.test(tail) ? " " : "";
  const next = `${head}${text}${glue}${tail}`;
  return { value: next, caret: head.length + text.length + glue.length };
}

// The active row after a key press: ArrowDown/ArrowUp wrap round, Home/End jump.
export function moveActive(index, count, key) {
  if (!count) return -1;
  if (key === "ArrowDown") return (index + 1) % count;
  if (key === "ArrowUp") return (index - 1 + count) % count;
  if (key === "Home") return 0;
  if (key === "End") return count - 1;
  return Math.min(Math.max(index, 0), count - 1);
}
