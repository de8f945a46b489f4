// Copying a number or an address from a referral card. Clipboard API first; where it is
// missing or refused (an embedding page that does not delegate clipboard-write, an old
// browser, no user gesture) the printed text is selected instead, so the visitor can copy
// it with their device's own command. `env` is the window (injected for node --test).

// Returns "copied", "selected" or "failed".
export async function copyText(value, node, env = globalThis) {
  const clipboard = env.navigator && env.navigator.clipboard;
  if (clipboard && typeof clipboard.writeText === "function") {
    try {
      await clipboard.writeText(String(value));
      return "copied";
    } catch (e) {
      // Refused: fall through to selecting the text.
    }
  }
  return selectText(node, env) ? "selected" : "failed";
}

export function selectText(node, env = globalThis) {
  const selection = node && typeof env.getSelection === "function" ? env.getSelection() : null;
  if (!selection) return false;
  selection.removeAllRanges();
  selection.selectAllChildren(node);
  return true;
}
