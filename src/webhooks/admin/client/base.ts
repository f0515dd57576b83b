/// <reference lib="dom" />
/**
 * Where this plugin's pages live in the host's admin (`/admin/webhooks` here, whatever the host
 * chose elsewhere): the server writes it on the page's root element, so links never assume a host.
 */
export function pagesBase(): string {
  return document.querySelector<HTMLElement>('[data-webhooks-base]')?.dataset.webhooksBase ?? '/admin/webhooks';
}

/** Sets the page title, keeping whatever the host's layout puts after " · " (its own name). */
export function setTitle(title: string): void {
  const suffix = document.title.indexOf(' · ');
  document.title = suffix === -1 ? title : title + document.title.slice(suffix);
}
