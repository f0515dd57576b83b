import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { NotFoundError, ValidationError } from './errors.js';
import { bodyObject, cleanFields, fieldErrors, parseFieldsOrThrow } from './validate.js';
import type { PaginationMeta } from './schemas.js';

/**
 * One REST route, described once: the express router mounts it and the OpenAPI document lists
 * it, from the same zod schemas, so the document cannot miss a route or drift from validation.
 */
export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI form, relative to /api/v1: `/webhooks/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** Path parameters; a value that fails them is an unknown id (404), not a validation error. */
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Runs before the query and body are validated, so an unknown id answers 404 rather than 422. */
  before?(params: P): Promise<void>;
  /**
   * Checks the schema cannot make (async ones, such as the URL rules), run on the raw body even
   * when the schema failed, so a form learns every bad field at once. Returns field errors.
   */
  checkBody?(input: { params: P; raw: Record<string, unknown> }): Promise<Record<string, string[]>>;
  success: { status: 200 | 201 | 204; description: string; data?: z.ZodType; paginated?: boolean };
  /** Failure statuses this route can answer besides 401/429 (added to every route). */
  errors: readonly (400 | 404 | 413 | 422)[];
  handle(input: { params: P; query: Q; body: B }): Promise<Reply>;
}

/** What a handler answers: the envelope's parts, or null for 204 No Content. */
export type Reply = { data: unknown; message: string; meta?: PaginationMeta } | null;

/** Keeps a route's parameter types tied to its schemas, then erases them for the route table. */
export function defineRoute<P, Q, B>(route: ApiRoute<P, Q, B>): ApiRoute {
  return route as unknown as ApiRoute;
}

/** `/webhooks/{id}` → `/webhooks/:id` (express 5 reads braces as optional segments). */
export function expressPath(openApiPath: string): string {
  return openApiPath.replace(/\{(\w+)\}/g, ':$1');
}

/** Mounts each route on the router, in order: a literal path such as /webhooks/events must come before /webhooks/{id}. */
export function mountRoutes(router: Router, routes: readonly ApiRoute[]): void {
  for (const route of routes) {
    router[route.method](expressPath(route.path), async (req: Request, res: Response) => {
      const params = route.params ? parsePathParams(route.params, req.params) : req.params;
      if (route.before) await route.before(params);
      const query = route.query ? parseFieldsOrThrow(route.query, { ...req.query }) : req.query;
      const body = route.body ? await parseBody(route, params, req.body) : undefined;
      const reply = await route.handle({ params, query, body });
      if (reply === null) {
        res.status(204).end();
        return;
      }
      res.status(route.success.status).json({ success: true, data: reply.data, message: reply.message, ...(reply.meta ? { meta: reply.meta } : {}) });
    });
  }
}

async function parseBody(route: ApiRoute, params: unknown, rawBody: unknown): Promise<unknown> {
  // SPEC §5 first: the schema and the deeper checks see well-formed text only.
  const { clean: raw, errors: textErrors } = cleanFields(bodyObject(rawBody), route.body);
  const result = route.body!.safeParse(raw);
  const errors = result.success ? {} : fieldErrors(result.error);
  const more = route.checkBody ? await route.checkBody({ params, raw }) : {};
  for (const [field, messages] of Object.entries(more)) {
    // The schema's message about a field comes first; the deeper check would only repeat it.
    if (!errors[field] && messages.length > 0) errors[field] = messages;
  }
  Object.assign(errors, textErrors);
  if (Object.keys(errors).length > 0 || !result.success) throw new ValidationError(errors);
  return result.data;
}

function parsePathParams(schema: z.ZodType, params: unknown): unknown {
  const result = schema.safeParse(params);
  if (!result.success) throw new NotFoundError(result.error.issues[0]?.message);
  return result.data;
}
