import {
  auditFailedSignIn,
  SECURITY_AUDIT_QUEUE,
  type FailedSignInJob,
} from '../domain/accounts/failed-sign-in.ts';
import type { WorkerModule } from './worker-module.ts';

/** Copies failed sign-ins into the audit log of the account's workspaces (off the response path). */
export const securityAudit: WorkerModule = {
  name: 'security-audit',
  async start(services) {
    return services.queue.process(
      SECURITY_AUDIT_QUEUE,
      (job) => auditFailedSignIn(services.database, job.data as FailedSignInJob),
      {
        concurrency: 2,
        async onExhausted(job, error) {
          services.logger.error({ err: error, jobId: job.id }, 'failed sign-in not audited');
        },
      },
    );
  },
};
