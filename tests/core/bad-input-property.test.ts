import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../src/server/lib/cursor.ts';
import { PASSWORD, buildTenant, setPlan, uniq, type TestTenant } from '../support/factories.ts';
import { ROUTE_SAMPLES, type SampleRequest } from '../support/route-samples.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import type { TestResponse } from '../support/test-client.ts';

/**
 * Property: for every operation of the served OpenAPI document, input that breaks the contract's
 * rules (NUL characters, years outside 1900–2999, ranges over 3,660 days, javascript: URLs,
 * forged cursors, numbers past a maximum, values of the wrong type) in a path parameter, a query
 * parameter or a JSON body field is a 4xx problem+json, answered within a deadline, and writes
 * nothing. The caller is a signed-in owner of the tenant, so only the input is wrong.
 */
let app: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  app = await startTestApp();
  tenant = await buildTenant(app);
  await setPlan(app, tenant, 'agency'); // samples add members and sites past the free limits
});
afterAll(async () => {
  await app.close();
});

/** Per request: well above a normal answer on a loaded machine, far below a loop or a hang. */
const REQUEST_DEADLINE_MS = 10_000;
const RUNS_PER_OPERATION = 6;

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  format?: string;
  maximum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
};
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  schema?: JsonSchema;
}
interface Operation {
  method: string;
  /** `/api/v1/sites/:id`, as the access table and the route samples name it. */
  key: string;
  parameters: Parameter[];
  body?: JsonSchema;
}

/** Where a bad value goes, and the schema of what belongs there. */
interface Target {
  in: 'path' | 'query' | 'body';
  name: string;
  schema: JsonSchema;
}
/** One bad request: values replacing (or added to) the base request's path, query or body. */
interface Mutation {
  in: 'path' | 'query' | 'body';
  values: Record<string, unknown>;
  label: string;
}

let components: Record<string, JsonSchema> = {};
function resolve(schema: JsonSchema | undefined): JsonSchema {
  let s = schema ?? {};
  while (s.$ref) s = components[s.$ref.split('/').pop()!] ?? {};
  return s;
}
/** Every branch of a schema (anyOf/oneOf/allOf flattened, refs resolved). */
function branches(schema: JsonSchema): JsonSchema[] {
  const s = resolve(schema);
  const nested = [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])];
  return nested.length ? nested.flatMap(branches) : [s];
}
const typesOf = (schema: JsonSchema) =>
  new Set(branches(schema).flatMap((b) => (Array.isArray(b.type) ? b.type : [b.type ?? 'any'])));
const formatsOf = (schema: JsonSchema) => new Set(branches(schema).map((b) => b.format ?? ''));

const BAD_YEARS = ['0000', '0001', '0099', '1899', '3000', '9999'];
const nulText = fc
  .tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }))
  .map(([a, b]) => `${a}\u0000${b}`);
const badDate = fc.oneof(
  fc.constantFrom(...BAD_YEARS).map((y) => `${y}-01-01`),
  fc.constant('+275760-09-13'),
);
const badTimestamp = fc.oneof(
  badDate.map((d) => `${d}T00:00:00Z`),
  fc.constant('+275760-09-13T00:00:00.000Z'),
);
const badUrl = fc.constantFrom(
  'javascript:alert(1)',
  'JavaScript:alert(document.cookie)//https://x.example',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
);
const UUID = '00000000-0000-4000-8000-000000000000';
const badCursor = fc.oneof(
  fc.constantFrom(
    encodeCursor(['0000-01-01T00:00:00.000Z', UUID]),
    encodeCursor(['+275760-09-13T00:00:00.000Z', UUID]),
    encodeCursor(['0001-01-01', UUID]),
    encodeCursor(['9999-12-31']),
    encodeCursor([Number.MAX_VALUE]),
    'not a cursor!',
  ),
  fc.array(fc.string(), { minLength: 3, maxLength: 4 }).map((v) => encodeCursor(v)),
);
const hugeNumber = fc.constantFrom(1e308, 2 ** 64, Number.MAX_SAFE_INTEGER + 2);
/** A year from which eleven years later is still allowed: the range alone is too long. */
const longRange = fc
  .integer({ min: 1900, max: 2988 })
  .map((y) => ({ from: `${y}-01-01`, to: `${y + 11}-01-01` }));

/** A value of another JSON type than the schema allows (body only: the query is all strings). */
function wrongType(schema: JsonSchema): fc.Arbitrary<unknown> | null {
  const types = typesOf(schema);
  if (types.has('any')) return null;
  const candidates: unknown[] = [];
  if (!types.has('string')) candidates.push('text');
  if (!types.has('number') && !types.has('integer')) candidates.push(12345);
  if (!types.has('array')) candidates.push([1, 'x']);
  if (!types.has('object')) candidates.push({ nested: true });
  if (!types.has('boolean')) candidates.push(true);
  return candidates.length ? fc.constantFrom(...candidates) : null;
}

/** The bad values that fit a target: each is outside the contract whatever the rest says. */
function mutationsFor(target: Target, siblings: string[]): fc.Arbitrary<Mutation>[] {
  const one = (kind: string, arb: fc.Arbitrary<unknown>) =>
    arb.map((value) => ({
      in: target.in,
      values: { [target.name]: value },
      label: `${kind} in ${target.in}.${target.name}`,
    }));
  const formats = formatsOf(target.schema);
  const types = typesOf(target.schema);
  const out = [one('NUL', nulText)];
  if (formats.has('date')) out.push(one('bad year', badDate));
  if (formats.has('date-time')) out.push(one('bad year', badTimestamp));
  if (formats.has('uri') || /url/i.test(target.name)) out.push(one('bad URL', badUrl));
  if (target.name === 'cursor') out.push(one('forged cursor', badCursor));
  if (target.name === 'from' && siblings.includes('to')) {
    out.push(longRange.map((values) => ({ in: target.in, values, label: `range over 10 years` })));
  }
  const maximum = Math.min(
    ...branches(target.schema).map((b) => b.maximum ?? b.exclusiveMaximum ?? Infinity),
  );
  if ((types.has('number') || types.has('integer')) && Number.isFinite(maximum)) {
    out.push(one('huge number', hugeNumber));
  }
  if (target.in === 'path' && formats.has('uuid')) {
    out.push(one('not an id', fc.constantFrom('0', '-1', '9'.repeat(40))));
  }
  if (target.in === 'body') {
    const wrong = wrongType(target.schema);
    if (wrong) out.push(one('wrong type', wrong));
  }
  return out;
}

function targetsOf(op: Operation): Target[] {
  const targets: Target[] = op.parameters
    .filter((p) => p.in === 'path' || p.in === 'query')
    .map((p) => ({ in: p.in as 'path' | 'query', name: p.name, schema: p.schema ?? {} }));
  const body = op.body ? resolve(op.body) : undefined;
  for (const [name, schema] of Object.entries(body?.properties ?? {})) {
    targets.push({ in: 'body', name, schema });
  }
  return targets;
}

/** Requests that are valid for routes no tenant sample covers (public and signed-in ones). */
function baseRequest(op: Operation): SampleRequest {
  const path = op.key.replace(/:[a-zA-Z]+/g, UUID);
  switch (`${op.method} ${op.key}`) {
    case 'POST /api/v1/auth/signup':
      return { path, body: { email: `p-${uniq()}@example.test`, password: PASSWORD, name: 'P' } };
    case 'POST /api/v1/auth/login':
      return { path, body: { email: `p-${uniq()}@example.test`, password: PASSWORD } };
    case 'POST /api/v1/tenants':
      return { path, body: { name: 'P', subdomain: `p-${uniq()}` } };
    case 'POST /api/v1/invitations/lookup':
    case 'POST /api/v1/invitations/accept':
      return { path, body: { token: 'x'.repeat(40) } };
    case 'GET /api/v1/subdomains/:subdomain':
      return { path: `/api/v1/subdomains/p-${uniq()}` };
    default:
      return { path, body: op.body ? {} : undefined };
  }
}

/** What any accepted write would move: the audit log (every change appends) and key tables. */
async function writes() {
  const { rows } = await sql<{ events: string; users: string; tenants: string; sites: string }>`
    SELECT (SELECT count(*) FROM audit_events) AS events, (SELECT count(*) FROM users) AS users,
           (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM sites) AS sites`.execute(
    app.database.db,
  );
  return rows[0];
}

function apply(op: Operation, base: SampleRequest, mutation: Mutation) {
  const url = new URL(base.path, 'http://x');
  let pathname = url.pathname;
  if (mutation.in === 'path') {
    // Put the bad value where the template names the parameter.
    const template = op.key.split('/');
    const parts = pathname.split('/');
    for (const [name, value] of Object.entries(mutation.values)) {
      const at = template.indexOf(`:${name}`);
      if (at >= 0) parts[at] = encodeURIComponent(String(value));
    }
    pathname = parts.join('/');
  }
  if (mutation.in === 'query') {
    for (const [name, value] of Object.entries(mutation.values)) {
      url.searchParams.set(name, String(value));
    }
  }
  const body =
    mutation.in === 'body'
      ? { ...(base.body as Record<string, unknown> | undefined), ...mutation.values }
      : base.body;
  return { path: `${pathname}${url.search}`, body };
}

async function send(method: string, path: string, body: unknown): Promise<TestResponse> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${method} ${path} took over ${REQUEST_DEADLINE_MS} ms`)),
      REQUEST_DEADLINE_MS,
    );
  });
  return Promise.race([
    tenant.owner.client.request(method, path, { body, tenant: tenant.id }),
    deadline,
  ]).finally(() => clearTimeout(timer));
}

const operations: Operation[] = [];
beforeAll(async () => {
  const res = await app.client().get('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  const doc = res.body as {
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components?: { schemas?: Record<string, JsonSchema> };
  };
  components = doc.components?.schemas ?? {};
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, spec] of Object.entries(methods)) {
      const content = (spec.requestBody as { content?: Record<string, { schema?: JsonSchema }> })
        ?.content;
      operations.push({
        method: method.toUpperCase(),
        key: template.replace(/\{([^}]+)\}/g, ':$1'),
        parameters: (spec.parameters as Parameter[] | undefined) ?? [],
        body: content?.['application/json']?.schema,
      });
    }
  }
});

describe('bad input on every route is a 4xx that writes nothing', () => {
  it('reads the operations from the served OpenAPI document', () => {
    expect(operations.length).toBeGreaterThan(40);
    expect(operations.map((o) => `${o.method} ${o.key}`)).toContain('GET /api/v1/reports/roi');
  });

  it('holds for every operation', async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const op of operations) {
      const name = `${op.method} ${op.key}`;
      const sample = ROUTE_SAMPLES[name];
      const base = sample ? await sample.build(app, tenant) : baseRequest(op);
      const targets = targetsOf(op);
      const paramNames = op.parameters.map((p) => p.name);
      // Every route takes a NUL in an extra query parameter, declared or not.
      const arbitraries = [
        nulText.map((v) => ({ in: 'query' as const, values: { [`x${v}`]: v }, label: 'NUL key' })),
        ...targets.flatMap((t) => mutationsFor(t, paramNames)),
      ];
      try {
        await fc.assert(
          fc.asyncProperty(fc.oneof(...arbitraries), async (mutation) => {
            const before = await writes();
            const request = apply(op, base, mutation);
            const res = await send(op.method, request.path, request.body);
            sent += 1;
            const what = `${name} with ${mutation.label} (${request.path}): ${res.status} ${res.text.slice(0, 200)}`;
            expect(res.status, what).toBeGreaterThanOrEqual(400);
            expect(res.status, what).toBeLessThan(500);
            expect(res.headers.get('content-type'), what).toMatch(/problem\+json/);
            expect(await writes(), what).toEqual(before);
          }),
          { numRuns: RUNS_PER_OPERATION },
        );
      } catch (error) {
        const text = String(error);
        failures.push(`${name}: ${text.match(/Counterexample.*|Got error.*|AssertionError.*/g)}`);
      }
    }
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(sent).toBeGreaterThanOrEqual(operations.length * RUNS_PER_OPERATION);
  }, 300_000);
});
