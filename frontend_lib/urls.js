// Links built from server data (referral cards, help lines). Pure: no DOM.

// Only http(s) links leave the page; anything else (javascript:, data:, relative) is
// dropped, so a stored value can never become a script URL.
export function safeUrl(value) {
  try {
    const u = new URL(String(value));
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : null;
  } catch (e) {
    return null;
  }
}

// "020-50 50 50" -> "tel:020505050"; null if it does not look like a phone number.
export function telUrl(value) {
  const s = String(value || "");
  if (!/^[+0-9][0-9 ()-]{1,24}$/.test(s)) return null;
  return `tel:${s.replace(/[^+0-9]/g, "")}`;
}
