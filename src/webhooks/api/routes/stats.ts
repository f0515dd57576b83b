import { z } from 'zod';
import { requireWebhook, type ApiContext } from '../context.js';
import { defineRoute, type ApiRoute } from '../route.js';
import { webhookIdParams } from '../schemas.js';
import { hourlyStats, statsWindow } from '../hourly-stats.js';

const statsQuerySchema = z.object({
  hours: z.coerce
    .number({ error: 'must be a whole number of hours from 1 to 168' })
    .int('must be a whole number of hours from 1 to 168')
    .min(1, 'must be a whole number of hours from 1 to 168')
    .max(168, 'must be a whole number of hours from 1 to 168')
    .default(24)
    .describe('How many hours the window covers, the current one included (1 to 168, default 24).'),
});

const count = z.number().int().min(0);
const outcomes = {
  succeeded: count.describe('Attempts answered with a 2xx.'),
  http_error: count.describe('Attempts the receiver answered with a failure status (3xx, 4xx, 5xx, or a Slack/Discord refusal).'),
  no_response: count.describe('Attempts with no usable answer: timeout, DNS, TLS, connection, blocked address.'),
};

const hourStatsSchema = z
  .object({
    start: z.string().describe('Start of the hour, ISO 8601 UTC.'),
    attempts: count,
    ...outcomes,
    causes: z.record(z.string(), count).describe('Attempts by the cause the delivery log shows (only causes that occurred).'),
    p50_ms: z.number().nullable().describe('Median attempt duration in ms, estimated from duration buckets; null without attempts.'),
    p95_ms: z.number().nullable().describe('95th percentile of the attempt durations in ms, estimated the same way; null without attempts.'),
  })
  .meta({ id: 'WebhookStatsHour' });

const webhookStatsSchema = z
  .object({
    webhook_id: z.number().int(),
    hours: z.number().int(),
    from: z.string().describe('Start of the first hour, ISO 8601 UTC.'),
    until: z.string().describe('End of the window (now), ISO 8601 UTC.'),
    totals: z.object({
      attempts: count,
      ...outcomes,
      success_rate: z.number().nullable().describe('succeeded / attempts over the window; null without attempts.'),
    }),
    buckets: z.array(hourStatsSchema).describe('One entry per hour, oldest first, empty hours included.'),
  })
  .meta({ id: 'WebhookStats' });

/** The chart's data: a webhook's attempts of the last hours by outcome and latency. */
export function statsRoutes(ctx: ApiContext): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/webhooks/{id}/stats',
      operationId: 'getWebhookStats',
      summary: 'A webhook\'s attempts per hour by outcome, with p50/p95 latency (the admin chart\'s data).',
      description:
        'Counts the recorded attempts (test deliveries left out) of each hour of the window, the current hour included, ' +
        'by outcome and by delivery-log cause, and estimates the median and 95th-percentile duration from duration buckets.',
      params: webhookIdParams,
      before: async (params) => void (await requireWebhook(ctx, params.id)),
      query: statsQuerySchema,
      success: { status: 200, description: 'The hourly statistics.', data: webhookStatsSchema },
      errors: [404, 422],
      handle: async ({ params, query }) => {
        const id = Number(params.id);
        const window = statsWindow(new Date(), query.hours);
        const counts = await ctx.stats.hourly(id, window.since, window.until);
        return { data: hourlyStats(id, counts, window, query.hours), message: `Attempts of the last ${query.hours} hours` };
      },
    }),
  ];
}
