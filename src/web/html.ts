/**
 * The one place pages are assembled: a tagged template that escapes every interpolated value
 * unless it is already `Html`, and the page frame (landmarks, the link's branding, a nonce for the
 * one style block). Pages are plain server-rendered HTML; what little script there is comes from
 * `/magic-link/assets/*.js`, so the Content-Security-Policy needs no `unsafe-inline`.
 */

/** Markup that is already safe; only `html` and `raw` make it. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Text safe inside elements and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

type Value = Html | string | number | boolean | null | undefined | readonly Value[];

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map((v) => render(v as Value)).join('');
  return escapeHtml(String(value));
}

/** Builds markup; every interpolation is escaped unless it is `Html`. */
export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Trusted markup written in this folder (never user input). */
export function raw(markup: string): Html {
  return new Html(markup);
}

/** The branding a page shows (a link's `settings`). */
export interface Branding {
  backgroundColor: string;
  companyName?: string | undefined;
  companyLogo?: string | undefined;
  headerImage?: string | undefined;
}

export const DEFAULT_BRANDING: Branding = { backgroundColor: '#F5F5F5' };

/** WCAG 2.1 relative luminance of a #rgb/#rrggbb(aa) colour. */
function luminance(hex: string): number {
  let digits = hex.slice(1);
  if (digits.length === 3 || digits.length === 4) digits = [...digits.slice(0, 3)].map((d) => d + d).join('');
  const channel = (i: number) => {
    const c = parseInt(digits.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
}

/** Near-black or white, whichever contrasts more with the background (WCAG 2.1 1.4.3). */
export function textColorFor(background: string): string {
  const l = luminance(/^#[0-9a-fA-F]{3,8}$/.test(background) ? background : '#F5F5F5');
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#1a1a1a' : '#ffffff';
}

/** The origins of the branding's images, for the page's `img-src`. */
export function imageOrigins(branding: Branding): string[] {
  return [branding.companyLogo, branding.headerImage].filter((u): u is string => u !== undefined).map((u) => new URL(u).origin);
}

/** A whole page: head, the brand header, `main` with the content, and optional scripts. */
export function page(options: { title: string; branding: Branding; nonce: string; body: Html; scripts?: readonly string[] }): string {
  const { branding } = options;
  const name = branding.companyName;
  const header = html`<header class="brand">
    ${branding.headerImage === undefined ? '' : html`<img class="banner" src="${branding.headerImage}" alt="">`}
    ${branding.companyLogo === undefined ? '' : html`<img class="logo" src="${branding.companyLogo}" alt="${name ?? 'Logo'}" width="48" height="48">`}
    ${name === undefined ? '' : html`<span class="company">${name}</span>`}
  </header>`;
  const doc = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title}${name === undefined ? '' : ` · ${name}`}</title>
<link rel="stylesheet" href="/magic-link/assets/furrow.css">
<style nonce="${options.nonce}">:root{--bg:${branding.backgroundColor};--fg:${textColorFor(branding.backgroundColor)}}</style>
</head>
<body>
${header}
<main id="main" tabindex="-1">
<h1>${options.title}</h1>
${options.body}
</main>
<footer><p>Connections are made by Furrow on behalf of ${name ?? 'this app'}.</p></footer>
${(options.scripts ?? []).map((src) => html`<script src="${src}" defer></script>`)}
</body>
</html>
`;
  return doc.value;
}
