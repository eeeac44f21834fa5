import { IdParams, ListQuery, Page } from '../../shared/schemas/common.ts';
import { ApiKey, CreateApiKeyBody, CreatedApiKey } from '../../shared/schemas/tenants.ts';
import { createApiKey, listApiKeys, revokeApiKey } from '../domain/api-keys/api-keys.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

export const apiKeyRoutes = [
  defineRoute({
    method: 'post',
    path: '/api/v1/api-keys',
    tag: 'API keys',
    summary: 'Create an API key',
    description:
      'The key (prefix rsk_) is in this reply only; it is stored as a hash (an Idempotency-Key replay answers `key: null`). A key cannot outrank its creator.',
    body: CreateApiKeyBody,
    secretFields: ['key'],
    responses: { 201: { description: 'Created', schema: CreatedApiKey } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const { row, key } = await createApiKey(ctx.tx, tenant.id, {
        name: body.name,
        role: body.role,
        // The user accountable for the key: a key made by a key answers to the same person.
        createdBy:
          ctx.principal?.kind === 'api_key'
            ? ctx.principal.createdBy
            : (ctx.principal?.userId ?? null),
        creatorRole: ctx.role!,
      });
      await ctx.audit({
        action: 'api_key.created',
        target: { type: 'api_key', id: row.id },
        changes: { name: { from: null, to: row.name }, role: { from: null, to: row.role } },
      });
      return { status: 201, body: { id: row.id, name: row.name, role: row.role, key } };
    },
  }),
  defineRoute({
    method: 'get',
    path: '/api/v1/api-keys',
    tag: 'API keys',
    summary: 'List API keys',
    query: ListQuery,
    responses: {
      200: { description: 'Keys, newest first, without secrets', schema: Page(ApiKey) },
    },
    async handler(ctx, { query }) {
      return { status: 200, body: await listApiKeys(ctx.tx, requireTenant(ctx).id, query) };
    },
  }),
  defineRoute({
    method: 'delete',
    path: '/api/v1/api-keys/:id',
    tag: 'API keys',
    summary: 'Revoke an API key',
    params: IdParams,
    responses: { 204: { description: 'Revoked from the next request on' } },
    async handler(ctx, { params }) {
      const row = await revokeApiKey(ctx.tx, requireTenant(ctx).id, params.id);
      await ctx.audit({ action: 'api_key.revoked', target: { type: 'api_key', id: row.id } });
      return { status: 204 };
    },
  }),
];
