import { html } from '../../ui/html.js';

/** The sign-in form body. `next` comes back as a hidden field; `error` is shown above the field. */
export function loginBody(options: { next: string; error?: string }) {
  return html`<div class="login">
  <form class="card login-card" method="post" action="/admin/login">
    <h1>Sign in</h1>
    <p class="muted">Live Chat admin. Paste an API key: the one printed on first start or <code>ADMIN_API_KEY</code>.</p>
    ${options.error ? html`<p class="alert error" role="alert" id="login-error">${options.error}</p>` : ''}
    <label for="api_key">API key</label>
    <input id="api_key" name="api_key" type="password" autocomplete="current-password" required autofocus
      ${options.error ? html`aria-invalid="true" aria-describedby="login-error"` : ''}>
    <input type="hidden" name="next" value="${options.next}">
    <button type="submit" class="button primary wide">Sign in</button>
    <p class="muted small">You stay signed in for 12 hours on this browser.</p>
  </form>
</div>`;
}
