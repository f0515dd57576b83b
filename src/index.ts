/**
 * The package's main entry point. Receivers import verifyWebhook from here (or, without pulling in
 * anything else, from `livechat-webhooks/verify`).
 */
export { verifyWebhook, verifyWebhookDetailed } from './webhooks/verify.js';
export type { HeaderBag, VerifyFailure, VerifyOptions, VerifyResult } from './webhooks/verify.js';
export { signPayload } from './webhooks/signing.js';
export type { WebhookFormat } from './webhooks/formats/index.js';
