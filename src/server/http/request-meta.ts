import type { Request } from 'express';
import type { RequestMeta } from '../domain/audit/record-audit-event.ts';

/** IP, user agent and request id of a request, as the audit log records them. */
export function requestMeta(req: Request): RequestMeta {
  return {
    ip: req.ip ?? null,
    userAgent: req.get('user-agent')?.slice(0, 500) ?? null,
    requestId: (req.id as string | undefined) ?? null,
  };
}
