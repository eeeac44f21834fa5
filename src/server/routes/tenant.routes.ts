import { TenantSettings, UpdateTenantBody } from '../../shared/schemas/tenants.ts';
import { diffChanges } from '../domain/audit/record-audit-event.ts';
import { presentTenantSettings, updateTenantSettings } from '../domain/tenants/tenants.ts';
import { defineRoute, requireTenant } from '../http/define-route.ts';

export const tenantRoutes = [
  defineRoute({
    method: 'get',
    path: '/api/v1/tenant',
    tag: 'Workspaces',
    summary: 'Read the workspace settings',
    responses: { 200: { description: 'Settings', schema: TenantSettings } },
    async handler(ctx) {
      return { status: 200, body: presentTenantSettings(requireTenant(ctx)) };
    },
  }),
  defineRoute({
    method: 'patch',
    path: '/api/v1/tenant',
    tag: 'Workspaces',
    summary: 'Change the workspace settings',
    description:
      'name, currency, timezone, branding (merged). The subdomain and plan cannot be set here. The currency cannot change once the workspace stores money (services with an amount, time entries, imported revenue, conversion values, value goals): 409 naming why; stored amounts are never relabelled.',
    body: UpdateTenantBody,
    responses: { 200: { description: 'Updated settings', schema: TenantSettings } },
    async handler(ctx, { body }) {
      const tenant = requireTenant(ctx);
      const { before, after } = await updateTenantSettings(ctx.tx, tenant.id, body);
      const changes = diffChanges(before, after, ['name', 'currency', 'timezone', 'branding']);
      if (Object.keys(changes).length > 0) {
        await ctx.audit({
          action: 'tenant.updated',
          target: { type: 'tenant', id: tenant.id },
          changes,
        });
      }
      return { status: 200, body: presentTenantSettings(after) };
    },
  }),
];
