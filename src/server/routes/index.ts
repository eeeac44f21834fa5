import type { Express } from 'express';
import type { AnyRoute } from '../http/define-route.ts';
import type { AppServices } from '../services.ts';
import { accountRoutes } from './accounts.routes.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { memberRoutes } from './members.routes.ts';
import { tenantRoutes } from './tenant.routes.ts';

/** Every API route. Access is declared in http/access-policy.ts. */
export function allRoutes(): AnyRoute[] {
  return [...accountRoutes, ...tenantRoutes, ...memberRoutes, ...apiKeyRoutes];
}

/** Non-API pages mounted beside the API (the offline Stripe sandbox). */
export const mounts: ((app: Express, services: AppServices) => void)[] = [];
