import type { z } from 'zod';
import { Page } from '../../shared/schemas/common.ts';
import { OutboxMessage, OutboxMessageDetail } from '../../shared/schemas/mail.ts';
import {
  ReportDelivery,
  ReportPreview,
  ReportSchedule,
  type CreateReportScheduleBody,
  type UpdateReportScheduleBody,
} from '../../shared/schemas/report-schedules.ts';
import { request, requestAs } from './http.ts';

export type OutboxMessageT = z.infer<typeof OutboxMessage>;
export type ReportScheduleT = z.infer<typeof ReportSchedule>;
export type ReportDeliveryT = z.infer<typeof ReportDelivery>;

// Password reset (no workspace)
export const requestPasswordReset = (email: string) =>
  request('/auth/password-reset', { method: 'POST', body: { email }, noTenant: true });
export const confirmPasswordReset = (token: string, password: string) =>
  request('/auth/password-reset/confirm', {
    method: 'POST',
    body: { token, password },
    noTenant: true,
  });

// Outbox
export const listOutbox = (q: { limit?: number; cursor?: string | null } = {}) =>
  requestAs(Page(OutboxMessage), '/outbox', { query: { limit: 50, ...q } });
export const getOutboxMessage = (id: string) => requestAs(OutboxMessageDetail, `/outbox/${id}`);

// Report schedules
export const listReportSchedules = () =>
  requestAs(Page(ReportSchedule), '/report-schedules', { query: { limit: 200 } });
export const createReportSchedule = (body: z.input<typeof CreateReportScheduleBody>) =>
  requestAs(ReportSchedule, '/report-schedules', { method: 'POST', body });
export const updateReportSchedule = (id: string, body: z.input<typeof UpdateReportScheduleBody>) =>
  requestAs(ReportSchedule, `/report-schedules/${id}`, { method: 'PATCH', body });
export const deleteReportSchedule = (id: string) =>
  request(`/report-schedules/${id}`, { method: 'DELETE' });
export const sendReportNow = (id: string) =>
  requestAs(ReportDelivery, `/report-schedules/${id}/send`, { method: 'POST' });
export const previewReport = (id: string) =>
  requestAs(ReportPreview, `/report-schedules/${id}/preview`);
export const listDeliveries = (id: string) =>
  requestAs(Page(ReportDelivery), `/report-schedules/${id}/deliveries`, { query: { limit: 50 } });
