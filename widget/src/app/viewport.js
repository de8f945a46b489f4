// The visible part of the screen (`visualViewport`). On a phone the on-screen keyboard
// covers the bottom of the window without always making the window smaller, so the
// app's height and top follow the visual viewport (custom properties on <html>, set
// through CSSOM: no style attribute, as the CSP wants; app.css `.app`). The message area
// is what shrinks; chat.js keeps the newest messages in view when it does.
//
// Embedded, the loader does the same for the iframe's panel on the host page (the
// iframe's own visual viewport does not see the host's keyboard).
export function followViewport(win = window) {
  const vv = win.visualViewport;
  if (!vv) return;
  const root = win.document.documentElement.style;
  const apply = () => {
    // Zoomed in, the visual viewport is a magnified part of the page, not a smaller
    // screen: then the layout stays as it is.
    if (Math.abs(vv.scale - 1) > 0.01) {
      root.removeProperty("--vv-height");
      root.removeProperty("--vv-top");
      return;
    }
    root.setProperty("--vv-height", `${Math.round(vv.height)}px`);
    root.setProperty("--vv-top", `${Math.round(vv.offsetTop)}px`);
  };
  vv.addEventListener("resize", apply);
  vv.addEventListener("scroll", apply);
  apply();
}
