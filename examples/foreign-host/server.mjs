// A chat server that is not this project, with the webhooks plugin installed as a package:
//
//   npm install express socket.io sequelize mysql2 ./livechat-webhooks-0.1.0.tgz
//   DATABASE_URL=mysql://root@127.0.0.1:3306/shop SHOP_ADMIN_PASSWORD=… SHOP_API_TOKEN=… node server.mjs
//
// "Acme Shop" has its own tables (shop_chats, shop_messages), its own admin under /dashboard with its
// own sign-in, session cookie and CSRF token, and its own Socket.IO protocol for visitors. It hands the
// plugin a router, its Sequelize, a hook emitter, its admin guards and its page layout; the plugin
// adds its REST API (/api/v1/webhooks…) and its Webhooks pages (/dashboard/webhooks…) and delivers
// the events the shop announces. Plain JavaScript: installing the package needs no TypeScript.
// test/package/foreign-host.test.ts installs the packed tarball next to this file and drives it.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import express from 'express';
import { Server } from 'socket.io';
import { DataTypes, Sequelize } from 'sequelize';
import { createLogger, escapeHtml, HookBus, loadConfig, migrateUp, readManifest, registerPlugin } from 'livechat-webhooks';
import * as webhooks from 'livechat-webhooks/plugin';

const ADMIN = '/dashboard';
const SESSION_COOKIE = 'shop_sid';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
// The shop's admin allows only its own scripts and styles; the plugin's pages need nothing more.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** Compares secrets in constant time (hashing first makes the lengths equal). */
function sameSecret(given, expected) {
  const digest = (value) => createHash('sha256').update(String(value ?? '')).digest();
  return typeof given === 'string' && timingSafeEqual(digest(given), digest(expected));
}

function readCookie(header, name) {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** The shop's admin shell: its header, its navigation (its own entries and the plugins'), the page. */
function shopPage({ title, body, scripts = [], styles = [], nav = [], current = '', csrf }) {
  const links = nav
    .map((item) => `<a href="${escapeHtml(item.path)}"${current.startsWith(item.path) ? ' aria-current="page"' : ''}>${escapeHtml(item.title)}</a>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Acme Shop</title>
<link rel="stylesheet" href="${ADMIN}/shop.css">
${styles.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">`).join('\n')}
${scripts.map((src) => `<script type="module" src="${escapeHtml(src)}"></script>`).join('\n')}
</head>
<body>
${csrf === undefined ? '' : `<header class="shop-bar"><strong>Acme Shop</strong> admin
  <nav aria-label="Shop admin">${links}</nav>
  <form method="post" action="${ADMIN}/logout"><input type="hidden" name="_csrf" value="${escapeHtml(csrf)}"><button type="submit">Sign out</button></form>
</header>`}
<main class="shop-main">${body}</main>
</body>
</html>`;
}

const SHOP_CSS = `body { margin: 0; font: 15px/1.5 Georgia, serif; background: #fbfaf7; }
.shop-bar { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #14532d; color: #fff; }
.shop-bar nav { display: flex; gap: 16px; flex: 1; }
.shop-bar a { color: #d9f99d; }
.shop-bar a[aria-current='page'] { color: #fff; font-weight: bold; }
.shop-bar form { margin: 0; }
.shop-main { padding: 24px; max-width: 1200px; }
`;

/**
 * Starts the shop on `port` (0: any free one). Resolves to `{ port, close }`.
 * `webhookEnv` holds the plugin's settings (WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOWED_HOSTS, …; README §2).
 */
export async function startShop({ databaseUrl, port = 0, adminPassword, apiToken, dataDir = './data', webhookEnv = {}, logLevel = 'info' }) {
  for (const [name, value] of Object.entries({ DATABASE_URL: databaseUrl, SHOP_ADMIN_PASSWORD: adminPassword, SHOP_API_TOKEN: apiToken })) {
    if (!value) throw new Error(`${name} is required`);
  }
  const sequelize = new Sequelize(databaseUrl, { logging: false });

  // The shop's own tables: the plugin does not care what else is in the database.
  const Chat = sequelize.define('Chat', { visitor_name: DataTypes.STRING(100), page: DataTypes.STRING(2048) }, { tableName: 'shop_chats', underscored: true });
  const Message = sequelize.define('Message', { chat_id: DataTypes.INTEGER, body: DataTypes.TEXT }, { tableName: 'shop_messages', underscored: true });
  await sequelize.sync();
  // The plugin's tables (webhooks, deliveries, attempts, events), through its own migrations.
  await migrateUp(sequelize, webhooks.migrations);

  const logger = createLogger(logLevel, 'acme-shop');
  const hooks = new HookBus(logger);
  const app = express();
  app.disable('x-powered-by');

  // --- The shop's admin: sign-in, session, CSRF -------------------------------------------------
  const sessions = new Map(); // sid → { csrf }
  const sessionOf = (req) => sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE) ?? '');
  const csrfOf = (req) => req.get('x-csrf-token') ?? req.body?._csrf;

  app.use(ADMIN, (_req, res, next) => {
    res.set({ 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' });
    next();
  });
  app.get(`${ADMIN}/shop.css`, (_req, res) => res.type('css').send(SHOP_CSS));
  app.use(ADMIN, express.urlencoded({ extended: false, limit: '4kb' }));

  /** Pages: a GET without a session goes to the sign-in (and comes back); writes need the CSRF token. */
  const requireAdmin = (req, res, next) => {
    const session = sessionOf(req);
    if (!session) {
      if (SAFE_METHODS.has(req.method)) return res.redirect(303, `${ADMIN}/login?next=${encodeURIComponent(req.originalUrl)}`);
      return res.status(401).type('text/plain').send('Sign in first.');
    }
    if (!SAFE_METHODS.has(req.method) && !sameSecret(csrfOf(req), session.csrf)) return res.status(403).type('text/plain').send('Bad CSRF token.');
    res.locals.shopSession = session;
    next();
  };

  /** The API: the shop's machine token, or an admin session whose writes carry the CSRF token. */
  const requireApiKey = (req, res, next) => {
    const deny = (status, message) => res.status(status).json({ success: false, data: null, message });
    const authorization = req.get('authorization');
    if (authorization !== undefined) return sameSecret(authorization, `Bearer ${apiToken}`) ? next() : deny(401, 'Unauthorized');
    const session = sessionOf(req);
    if (!session) return deny(401, 'Unauthorized');
    if (!SAFE_METHODS.has(req.method) && !sameSecret(csrfOf(req), session.csrf)) return deny(403, 'Forbidden: missing or invalid CSRF token');
    next();
  };

  const nav = [{ path: `${ADMIN}/chats`, title: 'Chats', section: 'Shop' }];
  const adminPage = (req, res, content) =>
    shopPage({ ...content, nav, current: req.originalUrl, csrf: res.locals.shopSession.csrf });

  app.get(`${ADMIN}/login`, (req, res) => {
    const next = typeof req.query.next === 'string' ? req.query.next : '';
    const error = req.query.error ? '<p role="alert">Wrong password.</p>' : '';
    res.type('html').send(
      shopPage({
        title: 'Sign in',
        body: `<h1>Acme Shop admin</h1>${error}<form method="post" action="${ADMIN}/login">
  <label for="password">Password</label> <input id="password" name="password" type="password" required autofocus>
  <input type="hidden" name="next" value="${escapeHtml(next)}"> <button type="submit">Sign in</button></form>`,
      }),
    );
  });
  app.post(`${ADMIN}/login`, (req, res) => {
    const next = typeof req.body.next === 'string' && req.body.next.startsWith(`${ADMIN}/`) && !req.body.next.startsWith('//') ? req.body.next : `${ADMIN}/chats`;
    if (!sameSecret(req.body.password, adminPassword)) return res.redirect(303, `${ADMIN}/login?error=1&next=${encodeURIComponent(next)}`);
    const sid = randomBytes(32).toString('base64url');
    sessions.set(sid, { csrf: randomBytes(32).toString('base64url') });
    res.set('Set-Cookie', `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; SameSite=Lax`).redirect(303, next);
  });
  app.post(`${ADMIN}/logout`, requireAdmin, (req, res) => {
    sessions.delete(readCookie(req.headers.cookie, SESSION_COOKIE));
    res.set('Set-Cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`).redirect(303, `${ADMIN}/login`);
  });
  app.get(`${ADMIN}/chats`, requireAdmin, async (req, res) => {
    const chats = await Chat.findAll({ order: [['id', 'DESC']], limit: 50 });
    const rows = chats.map((c) => `<li>#${c.id} ${escapeHtml(c.visitor_name ?? 'Visitor')}</li>`).join('');
    res.type('html').send(adminPage(req, res, { title: 'Chats', body: `<h1>Chats</h1><ul id="chats">${rows}</ul>` }));
  });

  // --- The webhooks plugin ---------------------------------------------------------------------
  const router = express.Router();
  app.use(router);
  const plugin = await registerPlugin(readManifest(webhooks.manifestPath), webhooks, {
    router,
    sequelize,
    hooks,
    logger,
    config: loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: logLevel, ...webhookEnv }),
    auth: { requireApiKey, requireAdmin },
    admin: {
      basePath: ADMIN,
      layout: (content, req, res) => adminPage(req, res, content),
      csrfToken: (_req, res) => res.locals.shopSession.csrf,
    },
    // plugin.json declares "Webhooks"; it joins the shop's navigation.
    addAdminPage: (page) => nav.push(page),
  });

  // --- The shop's chat: its own Socket.IO protocol, announcing events through the hook emitter ----
  const http = createServer(app);
  const io = new Server(http);
  io.on('connection', (socket) => {
    socket.on('shop:say', async (input, ack) => {
      const reply = typeof ack === 'function' ? ack : () => {};
      const text = typeof input?.text === 'string' ? input.text.trim() : '';
      if (!text || text.length > 5000) return reply({ ok: false, error: 'text must be 1..5000 characters' });
      try {
        const name = typeof input.name === 'string' ? input.name.slice(0, 100) : null;
        const page = typeof input.page === 'string' ? input.page.slice(0, 2048) : null;
        const visitor = { visitor_name: name, visitor_email: null, visitor_phone: null, visitor_ip: socket.handshake.address, current_url: page };
        // The event rows are written in the shop's own transaction: committed with the message, or not at all.
        const message = await sequelize.transaction(async (transaction) => {
          let chat = socket.data.chatId ? await Chat.findByPk(socket.data.chatId, { transaction }) : null;
          if (!chat) {
            chat = await Chat.create({ visitor_name: name, page }, { transaction });
            socket.data.chatId = chat.id;
            await hooks.emit('conversation.started', { conversation_id: chat.id, ...visitor, status: 'open', created_at: chat.createdAt.toISOString() }, { transaction });
          }
          const row = await Message.create({ chat_id: chat.id, body: text }, { transaction });
          await hooks.emit(
            'message.received',
            { message_id: row.id, content: text, is_from_admin: false, admin_name: null, conversation_id: chat.id, ...visitor, status: 'open', created_at: row.createdAt.toISOString() },
            { transaction },
          );
          return row;
        });
        reply({ ok: true, message_id: message.id, chat_id: socket.data.chatId });
      } catch (err) {
        logger.error({ err }, 'chat message failed');
        reply({ ok: false, error: 'internal' });
      }
    });
  });

  await new Promise((resolve) => http.listen(port, '127.0.0.1', resolve));
  return {
    port: http.address().port,
    close: async () => {
      await new Promise((resolve) => io.close(() => resolve()));
      await plugin.stop(); // in-flight attempts finish or are picked up by the next start
      await sequelize.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const env = process.env;
  const webhookEnv = Object.fromEntries(Object.entries(env).filter(([key]) => key.startsWith('WEBHOOK_') || key === 'APP_KEY'));
  const shop = await startShop({
    databaseUrl: env.DATABASE_URL,
    port: Number(env.PORT ?? 4000),
    adminPassword: env.SHOP_ADMIN_PASSWORD,
    apiToken: env.SHOP_API_TOKEN,
    dataDir: env.DATA_DIR,
    logLevel: env.LOG_LEVEL,
    webhookEnv,
  });
  console.log(`Acme Shop listening on http://127.0.0.1:${shop.port}${ADMIN}/login`);
  const stop = () => shop.close().then(() => process.exit(0), () => process.exit(1));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
