import {
  refreshWorkspaceRollups,
  workspacesDueForRollup,
} from '../domain/metrics/workspace-rollups.ts';
import { every, type WorkerModule } from './worker-module.ts';

/** How often the worker looks for workspaces whose rollups are due. */
const SWEEP_MS = 1_000;

/**
 * Rebuilds the workspace rollups of workspaces whose writes have paused (migrations/0090). A
 * timer in every worker process, not a queue: the stale entries in PostgreSQL are the work list,
 * so nothing is lost while Redis is away. Two workers that pick the same workspace take turns
 * (an advisory lock), and the second finds nothing left to do.
 */
export const workspaceRollups: WorkerModule = {
  name: 'workspace-rollups',
  async start(services) {
    return every(services, 'workspace-rollups', SWEEP_MS, async () => {
      for (const tenantId of await workspacesDueForRollup(services.database)) {
        const months = await refreshWorkspaceRollups(services.database, tenantId);
        services.logger.debug({ tenantId, months }, 'workspace rollups rebuilt');
      }
    });
  },
};
