/**
 * The embeddable visitor widget. One tag on any page:
 *   <script src="https://chat.example.com/widget.js" data-title="Help" data-color="#0f766e" async></script>
 */
import { parseOptions } from './options.js';
import { ChatWidget } from './widget.js';
import type { StorageLike } from './history.js';

declare global {
  interface Window {
    /** Lets the host page open or close the chat from its own buttons. */
    LiveChatWidget?: { open(): void; close(): void };
  }
}

// Only readable while this script first runs, so it is captured before anything waits.
const script = (document.currentScript ?? document.querySelector('script[src*="widget.js"]')) as HTMLScriptElement | null;

function start(): void {
  if (window.LiveChatWidget) return; // The tag was included twice.
  const options = parseOptions({ ...script?.dataset }, script?.src);
  if (!options.server) {
    console.warn('[livechat] no chat server: set data-server on the widget script tag');
    return;
  }
  const host = document.createElement('div');
  host.setAttribute('data-livechat-widget', '');
  document.body.append(host);
  const widget = new ChatWidget(host, options, localStorageOrNull());
  window.LiveChatWidget = { open: () => widget.open(), close: () => widget.close() };
}

/** Reading `localStorage` itself throws where storage is blocked (sandboxed iframes, strict privacy settings). */
function localStorageOrNull(): StorageLike | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

if (document.body) start();
else document.addEventListener('DOMContentLoaded', start, { once: true });
