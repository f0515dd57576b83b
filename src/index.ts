/**
 * The package's main entry point. Receivers import verifyWebhook from here (or, without pulling in
 * anything else, from `livechat-webhooks/verify`).
 */
export { verifyStandardWebhook, verifyStandardWebhookDetailed, verifyWebhook, verifyWebhookDetailed } from './webhooks/verify.js';
export type { HeaderBag, VerifyFailure, VerifyOptions, VerifyResult } from './webhooks/verify.js';
export { signPayload } from './webhooks/http/signing.js';
export type { WebhookFormat } from './webhooks/events/formats/index.js';

// The host API, for installing the webhooks plugin into another Socket.IO/express server
// (README, "Installing the plugin into another server"); the plugin itself is `livechat-webhooks/plugin`.
export { HookBus, type HookPayload } from './hooks.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { createLogger, type Logger } from './logger.js';
export { migrateUp, type Migration } from './db/migrate.js';
export { ApiKeyStore } from './auth/api-keys.js';
export { requireApiKey } from './auth/require-api-key.js';
export type { AdminHost, AdminPageContent, PluginHost, PluginInstance, PluginModule } from './plugins/host.js';
export { readManifest, registerPlugin, type PluginManifest } from './plugins/loader.js';
export { escapeHtml } from './ui/html.js';
export { eventCatalog, subscribableEvents, chatEvents, operationalEvents, type EventName, type Envelope } from './events.js';
