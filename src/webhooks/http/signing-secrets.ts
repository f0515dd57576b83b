import type { SecretBox } from '../../crypto/secret-box.js';
import type { WebhookRecord } from '../db/webhook-store.js';
import type { SendRequest } from './sender.js';

/**
 * The plaintext secrets one attempt signs with: the current one, and the one a rotation replaced
 * with its expiry (the sender drops it once the attempt's time passes that). Throws when the
 * current secret cannot be opened (APP_KEY changed): such an attempt must not go out unsigned.
 * A previous secret that cannot be opened is left out: it only eases a rotation.
 */
export function openSigningSecrets(webhook: WebhookRecord, box: SecretBox): Pick<SendRequest, 'secret' | 'previousSecret'> {
  const secret = webhook.secretEncrypted ? box.decrypt(webhook.secretEncrypted) : null;
  if (!secret || !webhook.previousSecretEncrypted || !webhook.previousSecretExpiresAt) return { secret, previousSecret: null };
  try {
    return { secret, previousSecret: { secret: box.decrypt(webhook.previousSecretEncrypted), expiresAt: webhook.previousSecretExpiresAt } };
  } catch {
    return { secret, previousSecret: null };
  }
}
