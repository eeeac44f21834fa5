import { z } from 'zod';
import { Problem } from '../../shared/schemas/common.ts';
import { accessFor } from './access-policy.ts';
import { routeKey, type AnyRoute } from './define-route.ts';
import { ERROR_CODES } from '../errors.ts';
import { OPERATION_EXAMPLES, problemExample } from './openapi-examples.ts';

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

/** Who may call an operation, in words, for its description. */
function describeAccess(access: ReturnType<typeof accessFor>): string {
  if (access === 'public') return 'Access: public, no credentials needed.';
  if (access === 'signed_in') return 'Access: any signed-in user (session cookie); no workspace.';
  if (!access) return 'Access: nobody (not in the access table).';
  return `Access: roles ${access.join(', ')} of the workspace (session cookie or API key).`;
}

/**
 * The OpenAPI 3.1 description of every route, generated from the same zod schemas, with the
 * examples of `openapi-examples.ts`. The server URL is relative: the document describes the
 * origin that serves it, so the interactive reference tries requests there.
 */
export function buildOpenApi(routes: AnyRoute[]): JsonSchema {
  const components: Record<string, JsonSchema> = {};
  const paths: Record<string, Record<string, unknown>> = {};
  const problemRef = { $ref: '#/components/schemas/Problem' };
  toSchema(Problem, 'output', components);

  for (const route of routes) {
    const key = routeKey(route);
    const access = accessFor(key);
    const example = OPERATION_EXAMPLES[key];
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const parameters: Record<string, unknown>[] = [
      ...parametersOf(route.params, 'path', components),
      ...parametersOf(route.query, 'query', components),
    ];
    for (const parameter of parameters) {
      const values = parameter.in === 'path' ? example?.params : example?.query;
      const value = values?.[parameter.name as string];
      if (value !== undefined) parameter.example = value;
    }
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
      // A media type object has no description of its own: it goes on the schema.
      content[type] = {
        schema: spec.schema
          ? toSchema(spec.schema, 'input', components)
          : {
              // A JSON body without a schema (a Stripe event) is still an object.
              type: type === 'application/json' ? 'object' : 'string',
              ...(spec.description ? { description: spec.description } : {}),
            },
      };
    }
    if (example?.body !== undefined) {
      const media = content[example.bodyType ?? 'application/json'] as
        Record<string, unknown> | undefined;
      if (media) media.example = example.body;
    }

    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      const responseExample = example?.responses[Number(status)];
      const withExample = responseExample === undefined ? {} : { example: responseExample };
      if (Number(status) >= 400) {
        // An error a route documents itself is problem+json like every other.
        responses[status] = {
          description: spec.description,
          content: {
            'application/problem+json': {
              schema: problemRef,
              example: problemExample(Number(status), spec.description),
            },
          },
        };
        continue;
      }
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? {
              content: {
                [spec.contentType ?? 'application/json']: {
                  schema: toSchema(spec.schema, 'output', components),
                  ...withExample,
                },
              },
            }
          : spec.contentType
            ? {
                content: { [spec.contentType]: { schema: { type: 'string' }, ...withExample } },
              }
            : {}),
      };
    }
    const problems = new Set<number>([400, ...(example?.errors ?? [])]);
    if (access !== 'public') problems.add(401);
    if (tenantScoped) problems.add(403).add(404);
    if (route.params) problems.add(404);
    if (!route.skipRateLimit) problems.add(429);
    if (route.method === 'post') problems.add(409);
    if (route.body || route.bodyKind === 'raw' || route.bodyKind === 'stream') problems.add(413);
    for (const status of [...problems].sort((a, b) => a - b)) {
      const title = Object.values(ERROR_CODES).find((c) => c.status === status)?.title ?? 'Error';
      responses[String(status)] ??= {
        description: title,
        ...(status === 429
          ? {
              headers: {
                'Retry-After': {
                  description: 'Seconds until the limit resets',
                  schema: { type: 'integer', minimum: 1 },
                },
              },
            }
          : {}),
        content: {
          'application/problem+json': { schema: problemRef, example: problemExample(status) },
        },
      };
    }

    paths[path] ??= {};
    paths[path][route.method] = {
      operationId: `${route.method}${route.path.replace(/[/:{}-](\w)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: route.summary,
      description: [route.description, describeAccess(access)].filter(Boolean).join('\n\n'),
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
    servers: [{ url: '/', description: 'The origin that serves this document' }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        sessionCookie: {
          type: 'apiKey',
          in: 'cookie',
          name: 'sid',
          description:
            'The session cookie set by sign-up and sign-in. Unsafe requests also send the ' +
            '`csrf_token` cookie value as `X-CSRF-Token`.',
        },
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An `rsk_…` API key (`POST /api/v1/api-keys`): `Authorization: Bearer rsk_…`. It ' +
            'carries its workspace, so no `X-Tenant-ID` is needed.',
        },
      },
    },
  };
}
