// The host's accent colour (data-color), used for the widget's buttons only when white
// text on it stays readable: a contrast of at least 4.5:1 (WCAG 2.1, 1.4.3).

// Relative luminance of "#rgb" or "#rrggbb" (WCAG 2.1 definition).
export function luminance(hex) {
  const n = hex.length < 5 ? hex.replace(/\w/g, "$&$&") : hex;
  return [1, 3, 5].reduce((s, i, k) => {
    let c = parseInt(n.substr(i, 2), 16) / 255;
    c = c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return s + c * [0.2126, 0.7152, 0.0722][k];
  }, 0);
}

export function whiteTextContrast(hex) {
  return 1.05 / (luminance(hex) + 0.05);
}

export function applyAccent(hex) {
  if (hex && whiteTextContrast(hex) >= 4.5) document.documentElement.style.setProperty("--accent", hex);
}
