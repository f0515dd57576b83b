import type { Migration } from '../src/db/migrate.js';
import { createChatTables } from './0001-create-chat-tables.js';
import { createApiKeys } from './0002-create-api-keys.js';
import { createWebhookTables } from './0003-create-webhook-tables.js';
import { addDeliveryRetryBase } from './0004-add-delivery-retry-base.js';
import { indexDeliveriesByWebhook } from './0005-index-deliveries-by-webhook.js';
import { createWebhookEvents } from './0006-create-webhook-events.js';
import { addWebhookPreviousSecret } from './0007-add-webhook-previous-secret.js';
import { addMessageClientId } from './0008-add-message-client-id.js';
import { createAgents } from './0010-create-agents.js';
import { createConversationTerms } from './0011-create-conversation-terms.js';
import { indexAttemptsByWebhook } from './0012-index-attempts-by-webhook.js';
import { orderDeliveriesByConversation } from './0013-order-deliveries-by-conversation.js';

/** The chat server's own tables. */
export const coreMigrations: readonly Migration[] = [createChatTables, createApiKeys, addMessageClientId, createAgents, createConversationTerms];

/** The webhooks plugin's tables (plugin.json names them; the plugin exports them). */
export const webhookMigrations: readonly Migration[] = [createWebhookTables, addDeliveryRetryBase, indexDeliveriesByWebhook, createWebhookEvents, addWebhookPreviousSecret, indexAttemptsByWebhook, orderDeliveriesByConversation];
