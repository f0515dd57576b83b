import { z } from 'zod';
import { requireWebhook, type ApiContext } from '../context.js';
import { NotFoundError } from '../errors.js';
import { defineRoute, type ApiRoute } from '../route.js';
import {
  deliveryDetailSchema,
  deliveryListQuerySchema,
  deliveryParams,
  deliverySchema,
  recoverResultSchema,
  recoverSchema,
  webhookIdParams,
} from '../schemas.js';
import { deliveryDetailView, deliveryView } from '../serialize.js';

const counted = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** Delivery-log routes of one webhook: list, detail, redeliver, recover. */
export function deliveryRoutes(ctx: ApiContext): ApiRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      operationId: 'listDeliveries',
      summary: 'The delivery log of a webhook, newest first, a page at a time.',
      description:
        'Each entry carries the seed\'s fields (`id, delivery_id, event_type, attempt_number, response_status_code, response_body, status, ' +
        "delivered_at, created_at`) with the newest attempt's response, and more. The request body and the attempts are in the detail.",
      params: webhookIdParams,
      before: async (params) => void (await requireWebhook(ctx, params.id)),
      query: deliveryListQuerySchema,
      success: { status: 200, description: 'One page of deliveries.', data: z.array(deliverySchema), paginated: true },
      errors: [404, 422],
      handle: async ({ params, query }) => {
        const { rows, total } = await ctx.logs.page(Number(params.id), {
          page: query.page,
          perPage: query.per_page,
          ...(query.status ? { status: query.status } : {}),
          ...(query.event ? { event: query.event } : {}),
        });
        return {
          data: rows.map(deliveryView),
          message: counted(total, 'delivery', 'deliveries'),
          meta: { current_page: query.page, last_page: Math.max(1, Math.ceil(total / query.per_page)), per_page: query.per_page, total },
        };
      },
    }),

    defineRoute({
      method: 'get',
      path: '/webhooks/{id}/deliveries/{deliveryId}',
      operationId: 'getDelivery',
      summary: 'One delivery with its body and every attempt.',
      description:
        '`deliveryId` is the `delivery_id` (a UUID, any case) or the entry\'s numeric `id`.',
      params: deliveryParams,
      success: { status: 200, description: 'The delivery.', data: deliveryDetailSchema },
      errors: [404],
      handle: async ({ params }) => {
        await requireWebhook(ctx, params.id);
        const detail = await ctx.logs.find(Number(params.id), params.deliveryId);
        if (!detail) throw new NotFoundError('Delivery not found');
        return { data: deliveryDetailView(detail), message: 'Delivery' };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/webhooks/{id}/deliveries/{deliveryId}/redeliver',
      operationId: 'redeliverDelivery',
      summary: 'Queue a delivery again now, with the same delivery_id and body and a fresh retry budget.',
      description:
        'Outside the per-conversation order. `deliveryId` is the `delivery_id` or the numeric `id`. Answers the entry as it stands once queued.',
      params: deliveryParams,
      success: { status: 200, description: 'The delivery, queued.', data: deliverySchema },
      errors: [404],
      handle: async ({ params }) => {
        const webhook = await requireWebhook(ctx, params.id);
        const deliveryId = await ctx.logs.resolveDeliveryId(webhook.id, params.deliveryId);
        if (!deliveryId || !(await ctx.engine.redeliver(webhook.id, deliveryId))) throw new NotFoundError('Delivery not found');
        const detail = await ctx.logs.find(webhook.id, deliveryId);
        if (!detail) throw new NotFoundError('Delivery not found'); // deleted meanwhile
        ctx.logger.info({ webhookId: webhook.id, deliveryId }, 'delivery queued again');
        return { data: deliveryView(detail), message: 'Delivery queued again' };
      },
    }),

    defineRoute({
      method: 'post',
      path: '/webhooks/{id}/recover',
      operationId: 'recoverDeliveries',
      summary: 'Queue again every failed delivery of this webhook created in a time window.',
      description: 'For after an outage: `since` (inclusive) to `until` (inclusive, default now). Answers how many were queued.',
      params: webhookIdParams,
      before: async (params) => void (await requireWebhook(ctx, params.id)),
      body: recoverSchema,
      success: { status: 200, description: 'How many failed deliveries were queued again.', data: recoverResultSchema },
      errors: [400, 404, 413, 422],
      handle: async ({ params, body }) => {
        const since = new Date(body.since);
        const until = body.until ? new Date(body.until) : new Date();
        const count = await ctx.engine.recover(Number(params.id), since, until);
        ctx.logger.info({ webhookId: Number(params.id), since, until, count }, 'failed deliveries recovered');
        return { data: { count }, message: `${counted(count, 'failed delivery', 'failed deliveries')} queued again` };
      },
    }),
  ];
}
