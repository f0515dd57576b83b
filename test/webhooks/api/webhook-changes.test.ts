import type { WebhookRecord } from '../../../src/webhooks/db/webhook-store.js';
import { detectFormat } from '../../../src/webhooks/events/formats/index.js';
import { planWebhookCreate, planWebhookUpdate, type ChangeTools } from '../../../src/webhooks/api/webhook-changes.js';
import { webhookCreateSchema, webhookUpdateSchema } from '../../../src/webhooks/api/schemas.js';

const tools: ChangeTools = { detectFormat, encrypt: (s) => `sealed(${s})` };

const current: WebhookRecord = {
  id: 7,
  name: 'ops',
  url: 'https://hooks.slack.com/services/T0/B0/x',
  events: ['message.received'],
  format: 'slack',
  is_active: true,
  has_secret: true,
  secretEncrypted: 'sealed(old)',
  previousSecretEncrypted: null,
  previousSecretExpiresAt: null,
  disabled_reason: null,
  disabled_at: null,
  consecutive_failures: 3,
  failing_since: new Date('2024-05-01T00:00:00Z'),
  created_at: new Date('2024-05-01T00:00:00Z'),
  updated_at: new Date('2024-05-01T00:00:00Z'),
};

const update = (body: unknown, record: WebhookRecord = current) => planWebhookUpdate(record, webhookUpdateSchema.parse(body), tools);

describe('planWebhookCreate', () => {
  const create = (body: Record<string, unknown>) =>
    planWebhookCreate(webhookCreateSchema.parse({ name: 'n', events: ['message.received'], ...body }), tools);

  it('detects the format from the URL when none is given', () => {
    expect(create({ url: 'https://hooks.slack.com/services/T0/B0/x' }).format).toBe('slack');
    expect(create({ url: 'https://discord.com/api/webhooks/1/abc' }).format).toBe('discord');
    expect(create({ url: 'https://example.com/hook' }).format).toBe('json');
  });

  it('keeps a format the admin chose', () => {
    expect(create({ url: 'https://hooks.slack.com/services/T0/B0/x', format: 'json' }).format).toBe('json');
  });

  it('seals a given secret and stores none otherwise (empty string = none)', () => {
    expect(create({ url: 'https://example.com/h', secret: 'abcdefgh' }).secret_encrypted).toBe('sealed(abcdefgh)');
    expect(create({ url: 'https://example.com/h' }).secret_encrypted).toBeNull();
    expect(create({ url: 'https://example.com/h', secret: '' }).secret_encrypted).toBeNull();
  });

  it('is active unless told otherwise, and drops duplicate events', () => {
    const plan = create({ url: 'https://example.com/h', events: ['message.sent', 'message.sent'] });
    expect(plan.is_active).toBe(true);
    expect(plan.events).toEqual(['message.sent']);
    expect(create({ url: 'https://example.com/h', is_active: false }).is_active).toBe(false);
  });
});

describe('planWebhookUpdate', () => {
  it('changes only the fields given', () => {
    expect(update({ name: 'renamed' })).toEqual({ changes: { name: 'renamed' }, reEnabled: false });
    expect(update({})).toEqual({ changes: {}, reEnabled: false });
  });

  it('re-detects the format when the URL changes and the format was the detected one', () => {
    expect(update({ url: 'https://example.com/hook' }).changes).toEqual({ url: 'https://example.com/hook', format: 'json' });
  });

  it('keeps a format the admin had chosen against the URL', () => {
    const chosen = { ...current, format: 'json' as const };
    expect(update({ url: 'https://hooks.slack.com/services/T1/B1/y' }, chosen).changes).toEqual({ url: 'https://hooks.slack.com/services/T1/B1/y' });
    expect(update({ url: 'https://example.com/x', format: 'discord' }).changes.format).toBe('discord');
  });

  it('removes the secret on null, keeps it when omitted, seals a new one', () => {
    expect(update({ secret: null }).changes).toEqual({ secret_encrypted: null });
    expect(update({ name: 'x' }).changes).not.toHaveProperty('secret_encrypted');
    expect(update({ secret: 'new-secret' }).changes).toEqual({ secret_encrypted: 'sealed(new-secret)' });
  });

  it('re-enabling a disabled webhook clears the reason and the failure streak', () => {
    const disabled = { ...current, is_active: false, disabled_reason: 'HTTP 410 Gone', disabled_at: new Date() };
    expect(update({ is_active: true }, disabled)).toEqual({
      changes: { is_active: true, disabled_reason: null, disabled_at: null, consecutive_failures: 0, failing_since: null },
      reEnabled: true,
    });
  });

  it('an already active webhook keeps its failure streak when is_active: true is sent again', () => {
    expect(update({ is_active: true })).toEqual({ changes: { is_active: true }, reEnabled: false });
  });

  it('disabling by an admin records no reason', () => {
    expect(update({ is_active: false })).toEqual({ changes: { is_active: false }, reEnabled: false });
  });
});
