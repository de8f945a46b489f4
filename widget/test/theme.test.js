// The host's accent colour is used only with enough contrast for white text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { luminance, whiteTextContrast } from "../src/app/theme.js";

test("contrast of white text (WCAG 2.1)", () => {
  assert.equal(luminance("#ffffff"), 1);
  assert.equal(luminance("#000"), 0);
  assert.ok(Math.abs(whiteTextContrast("#000000") - 21) < 1e-9);
  assert.ok(whiteTextContrast("#1f4e79") >= 4.5, "the default accent");
  assert.ok(whiteTextContrast("#5a2d82") >= 4.5);
  assert.ok(whiteTextContrast("#ffdd00") < 4.5, "yellow is refused");
  assert.ok(whiteTextContrast("#767676") >= 4.5 && whiteTextContrast("#777777") < 4.5, "the 4.5:1 edge");
  assert.equal(whiteTextContrast("#abc"), whiteTextContrast("#aabbcc"));
});
