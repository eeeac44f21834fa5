import { z } from 'zod';
import { Problem } from '../../shared/schemas/common.ts';
import { accessFor } from './access-policy.ts';
import { routeKey, type AnyRoute } from './define-route.ts';
import { ERROR_CODES } from '../errors.ts';

type JsonSchema = Record<string, unknown>;

/**
 * Converts a zod schema to JSON Schema 2020-12 for OpenAPI 3.1: named schemas (`.meta({id})`)
 * move to components and are referenced from there.
 */
function toSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  components: Record<string, JsonSchema>,
) {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  }) as JsonSchema;
  const defs = (json.$defs ?? {}) as Record<string, JsonSchema>;
  delete json.$defs;
  delete json.$schema;
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(node)) {
        out[k] =
          k === '$ref' && typeof v === 'string'
            ? v.replace('#/$defs/', '#/components/schemas/')
            : rewrite(v);
      }
      return out;
    }
    return node;
  };
  for (const [id, def] of Object.entries(defs)) components[id] ??= rewrite(def) as JsonSchema;
  return rewrite(json) as JsonSchema;
}

function parametersOf(
  schema: z.ZodType | undefined,
  where: 'path' | 'query',
  components: Record<string, JsonSchema>,
) {
  if (!schema) return [];
  const json = toSchema(schema, 'input', components);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: s,
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
  }));
}

/** The OpenAPI 3.1 description of every route, generated from the same zod schemas. */
export function buildOpenApi(routes: AnyRoute[], serverUrl: string): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const problemRef = { $ref: '#/components/schemas/Problem' };
  toSchema(Problem, 'output', components);

  for (const route of routes) {
    const access = accessFor(routeKey(route));
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [
      ...parametersOf(route.params, 'path', components),
      ...parametersOf(route.query, 'query', components),
    ];
    const tenantScoped = Array.isArray(access);
    if (tenantScoped) {
      parameters.push({
        name: 'X-Tenant-ID',
        in: 'header',
        required: false,
        description:
          'Tenant id or subdomain. Not needed with an API key or on `<subdomain>.<BASE_DOMAIN>`.',
        schema: { type: 'string' },
      });
    }
    if (route.method === 'post') {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Replays the first response for 24 h for the same body; another body is 409.',
        schema: { type: 'string', maxLength: 255 },
      });
    }

    const content: Record<string, unknown> = {};
    if (route.body && (route.bodyKind ?? 'json') === 'json') {
      content['application/json'] = { schema: toSchema(route.body, 'input', components) };
    }
    for (const [type, spec] of Object.entries(route.requestContentTypes ?? {})) {
      content[type] = {
        ...(spec.schema
          ? { schema: toSchema(spec.schema, 'input', components) }
          : { schema: { type: 'string' } }),
        ...(spec.description ? { description: spec.description } : {}),
      };
    }

    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? {
              content: {
                [spec.contentType ?? 'application/json']: {
                  schema: toSchema(spec.schema, 'output', components),
                },
              },
            }
          : spec.contentType
            ? { content: { [spec.contentType]: { schema: { type: 'string' } } } }
            : {}),
      };
    }
    const problems: number[] = [400];
    if (access !== 'public') problems.push(401);
    if (tenantScoped) problems.push(403, 404);
    if (!route.skipRateLimit) problems.push(429);
    if (route.method === 'post') problems.push(409);
    if (route.body || route.bodyKind === 'raw' || route.bodyKind === 'stream') problems.push(413);
    for (const status of problems) {
      responses[String(status)] ??= {
        description: Object.values(ERROR_CODES).find((c) => c.status === status)?.title ?? 'Error',
        content: { 'application/problem+json': { schema: problemRef } },
      };
    }

    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: `${route.method}${route.path.replace(/[/:{}-](\w)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      tags: [route.tag],
      ...(access === 'public'
        ? { security: [] }
        : access === 'signed_in'
          ? { security: [{ sessionCookie: [] }] }
          : { security: [{ sessionCookie: [] }, { apiKey: [] }] }),
      'x-roles': access ?? 'denied',
      ...(parameters.length ? { parameters } : {}),
      ...(Object.keys(content).length ? { requestBody: { required: true, content } } : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'ROI Spectrum API',
      version: '1.0.0',
      description:
        'Multi-tenant ROI and billing for SEO agencies. Errors are RFC 9457 problem+json; lists ' +
        'page with `limit` and `cursor`; money is in minor units beside `currency`. Cookie sessions ' +
        'send the `csrf_token` cookie value as `X-CSRF-Token` on unsafe requests.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'sid' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'An `rsk_…` API key' },
      },
    },
  };
}
