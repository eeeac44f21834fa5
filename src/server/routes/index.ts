import type { Express } from 'express';
import type { AnyRoute } from '../http/define-route.ts';
import type { AppServices } from '../services.ts';
import { mountGoogleSandbox } from '../sandbox/google/mount-google-sandbox.ts';
import { mountSandbox } from '../sandbox/mount-sandbox.ts';
import { accountRoutes } from './accounts.routes.ts';
import { annotationRoutes } from './annotations.routes.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { auditRoutes } from './audit.routes.ts';
import { billingRoutes } from './billing.routes.ts';
import { goalRoutes } from './goals.routes.ts';
import { integrationRoutes } from './integrations.routes.ts';
import { mailRoutes } from './mail.routes.ts';
import { passwordResetRoutes } from './password-reset.routes.ts';
import { reportScheduleRoutes } from './report-schedules.routes.ts';
import { memberRoutes } from './members.routes.ts';
import { metricRoutes } from './metrics.routes.ts';
import { publicReportRoutes } from './public-reports.routes.ts';
import { reportLinkRoutes } from './report-links.routes.ts';
import { reportRoutes } from './reports.routes.ts';
import { serviceRoutes } from './services.routes.ts';
import { siteRoutes } from './sites.routes.ts';
import { tenantRoutes } from './tenant.routes.ts';

/** Every API route. Access is declared in http/access-policy.ts. */
export function allRoutes(): AnyRoute[] {
  return [
    ...accountRoutes,
    ...passwordResetRoutes,
    ...tenantRoutes,
    ...memberRoutes,
    ...apiKeyRoutes,
    ...siteRoutes,
    ...serviceRoutes,
    ...metricRoutes,
    ...reportRoutes,
    ...reportLinkRoutes,
    ...publicReportRoutes,
    ...annotationRoutes,
    ...goalRoutes,
    ...mailRoutes,
    ...reportScheduleRoutes,
    ...billingRoutes,
    ...auditRoutes,
    ...integrationRoutes,
  ];
}

/** Non-API pages mounted beside the API (the offline Stripe and Google sandboxes). */
export const mounts: ((app: Express, services: AppServices) => void)[] = [
  mountSandbox,
  mountGoogleSandbox,
];
