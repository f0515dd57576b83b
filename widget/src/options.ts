/** Reads the widget's options from its `<script data-*>` attributes. Pure: no DOM access. */

export interface WidgetOptions {
  /** Origin of the chat server, e.g. https://chat.example.com ('' when none could be found). */
  server: string;
  title: string;
  /** Accent colour: any CSS colour; the view checks it and falls back to the default. */
  color: string;
  /** Ask for name and email before the first message. */
  prechat: boolean;
}

export const DEFAULT_TITLE = 'Chat with us';
export const DEFAULT_COLOR = '#2563eb';

/**
 * `data` is the script's dataset; `scriptSrc` its absolute src, whose origin is the default server.
 * @example parseOptions({ title: 'Help' }, 'https://chat.example.com/widget.js').server === 'https://chat.example.com'
 */
export function parseOptions(data: Readonly<Record<string, string | undefined>>, scriptSrc: string | null | undefined): WidgetOptions {
  return {
    server: serverUrl(data.server, scriptSrc),
    title: clean(data.title, 80) || DEFAULT_TITLE,
    color: clean(data.color, 64) || DEFAULT_COLOR,
    prechat: !/^(false|off|no|0)$/i.test((data.prechat ?? '').trim()),
  };
}

function serverUrl(explicit: string | undefined, scriptSrc: string | null | undefined): string {
  for (const candidate of [explicit, scriptSrc]) {
    if (!candidate) continue;
    try {
      const url = new URL(candidate.trim(), scriptSrc || undefined);
      // Socket.IO reads a URL path as a namespace, so only the origin is kept.
      if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
    } catch {
      // Not a URL: try the next candidate.
    }
  }
  return '';
}

function clean(value: string | undefined, max: number): string {
  return (value ?? '').replace(/\s+/g, ' ').trim().slice(0, max);
}
