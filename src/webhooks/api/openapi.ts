import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { ApiRoute } from './route.js';
import { errorBodySchema, successBody, validationErrorBodySchema } from './schemas.js';

export const OPENAPI_PATH = '/openapi.json';

const errorDescriptions: Record<number, string> = {
  400: 'Malformed JSON body.',
  401: 'Missing or invalid API key (the same body whatever was wrong).',
  404: 'Unknown webhook or delivery.',
  413: 'Request body over 100 KiB.',
  422: 'Invalid input, with the messages of each field.',
  429: 'Too many failed authentications from this address; see Retry-After.',
};

/**
 * The OpenAPI 3.1 document of the API, built from the route table: every route the router mounts
 * is listed, with the zod schemas its handler validates with.
 */
export function buildOpenApiDocument(routes: readonly ApiRoute[], info: { title: string; version: string }) {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: ADMIN_API_KEY, or the key printed on first start.',
  });

  for (const route of routes) {
    const responses: Record<string, ResponseConfig> = {
      [route.success.status]: route.success.data
        ? { description: route.success.description, content: { 'application/json': { schema: successBody(route.success.data, route.success.paginated) } } }
        : { description: route.success.description },
    };
    for (const status of [...route.errors, 401, 429]) {
      responses[status] = {
        description: errorDescriptions[status] ?? 'Error.',
        content: { 'application/json': { schema: status === 422 ? validationErrorBodySchema : errorBodySchema } },
      };
    }
    registry.registerPath({
      method: route.method,
      path: route.path,
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: ['Webhooks'],
      security: [{ bearerAuth: [] }],
      request: {
        // Route tables hold params and query as z.object(...) schemas (see the route modules).
        ...(route.params ? { params: route.params as z.ZodObject } : {}),
        ...(route.query ? { query: route.query as z.ZodObject } : {}),
        ...(route.body ? { body: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses,
    });
  }

  registry.registerPath({
    method: 'get',
    path: OPENAPI_PATH,
    operationId: 'getOpenApiDocument',
    summary: 'This document (no API key needed).',
    description: 'The OpenAPI 3.1 description of this API, generated from the schemas the handlers validate with.',
    tags: ['Meta'],
    // An empty list, not a missing one: the document is public on purpose (see the root default).
    security: [],
    responses: {
      200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } } },
    },
  });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'Manage webhooks and their delivery logs. Every response is `{ success, data, message }`; paginated lists add `meta`. ' +
        'Authenticate with `Authorization: Bearer <api key>`.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'Webhooks', description: 'Webhooks, the event catalog, and each webhook\'s delivery log.' },
      { name: 'Meta', description: 'About the API itself.' },
    ],
  });
}
