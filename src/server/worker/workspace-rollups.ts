import {
  refreshWorkspaceRollups,
  workspacesDueForRollup,
} from '../domain/metrics/workspace-rollups.ts';
import { every, type WorkerModule } from './worker-module.ts';

/** How often the worker looks for workspaces whose rollups are due. */
const SWEEP_MS = 1_000;
/**
 * The most a sweep works (it finishes the rebuild step it is in): a worker that stops waits for
 * its sweep, and on the embedded database the sweep shares the one session with every request.
 */
const SWEEP_BUDGET_MS = 250;

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
      const deadline = performance.now() + SWEEP_BUDGET_MS;
      for (const tenantId of await workspacesDueForRollup(services.database)) {
        if (performance.now() >= deadline) break;
        // One workspace that fails (and stays first in the list) must not stop the others.
        try {
          const entries = await refreshWorkspaceRollups(services.database, tenantId, deadline);
          services.logger.debug({ tenantId, entries }, 'workspace rollups rebuilt');
        } catch (err) {
          services.logger.error({ err, tenantId }, 'workspace rollups not rebuilt');
        }
      }
    });
  },
};
