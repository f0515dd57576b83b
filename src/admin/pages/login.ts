import { html } from '../../ui/html.js';

/**
 * The sign-in form body: an agent's email and password, or an API key (machines' keys sign in as
 * admin, so installs from before agent accounts keep their way in). `next` comes back as a hidden
 * field; `error` is shown above the fields, `email` refilled after a failure.
 */
export function loginBody(options: { next: string; error?: string; email?: string }) {
  const invalid = options.error ? html`aria-invalid="true" aria-describedby="login-error"` : '';
  return html`<div class="login">
  <form class="card login-card" method="post" action="/admin/login">
    <h1>Sign in</h1>
    <p class="muted">Live Chat admin. Sign in with your agent account, or with an API key.</p>
    ${options.error ? html`<p class="alert error" role="alert" id="login-error">${options.error}</p>` : ''}
    <label for="email">Email</label>
    <input id="email" name="email" type="email" autocomplete="username" autofocus value="${options.email ?? ''}" ${invalid}>
    <label for="password">Password</label>
    <input id="password" name="password" type="password" autocomplete="current-password" ${invalid}>
    <p class="login-or"><span>or</span></p>
    <label for="api_key">API key</label>
    <input id="api_key" name="api_key" type="password" autocomplete="off" aria-describedby="api-key-hint" ${invalid}>
    <p class="hint" id="api-key-hint">The key printed on first start, or <code>ADMIN_API_KEY</code>: signs in as admin.</p>
    <input type="hidden" name="next" value="${options.next}">
    <button type="submit" class="button primary wide">Sign in</button>
    <p class="muted small">You stay signed in for 12 hours on this browser.</p>
  </form>
</div>`;
}
