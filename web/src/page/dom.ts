// Small DOM helpers for the page.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

/** A definition list of label/value rows. */
export function facts(rows: [string, string | Node][]): HTMLDListElement {
  const dl = el('dl');
  for (const [k, v] of rows) dl.append(el('dt', {}, k), el('dd', {}, v));
  return dl;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 2 });
const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1.2M parameters. */
export const formatCount = (n: number): string => compact.format(n);

/** Binary units, as the CLI prints them. */
export function formatBytes(n: number): string {
  const k = n > 0 ? Math.min(units.length - 1, Math.floor(Math.log2(n) / 10)) : 0;
  return k === 0 ? `${n} B` : `${(n / 2 ** (10 * k)).toFixed(k === 3 ? 2 : 1)} ${units[k]}`;
}

/** Offer bytes as a file download. */
export function download(name: string, parts: readonly Uint8Array[], type = 'application/octet-stream'): void {
  const url = URL.createObjectURL(new Blob(parts as unknown as BlobPart[], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function showError(target: HTMLElement, message: string): void {
  target.hidden = false;
  target.replaceChildren(el('p', { class: 'error', role: 'alert' }, message));
}
