/** Picks readable text for the accent colour the site chose. Pure. */

const DARK = '#111827';
const LIGHT = '#ffffff';

/**
 * Black-ish or white text for a background given as the browser's computed `rgb(r, g, b)` or
 * `rgba(...)` string, whichever has the higher WCAG contrast ratio; white when unparseable.
 */
export function textColorOn(computedRgb: string): string {
  const m = /rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(computedRgb);
  if (!m) return LIGHT;
  const bg = luminance(Number(m[1]), Number(m[2]), Number(m[3]));
  const dark = luminance(0x11, 0x18, 0x27);
  return contrast(bg, 1) >= contrast(bg, dark) ? LIGHT : DARK;
}

/** WCAG 2 relative luminance of an sRGB colour with 0..255 channels. */
export function luminance(r: number, g: number, b: number): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two luminances (1..21). */
export function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}
