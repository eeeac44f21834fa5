/**
 * The benchmark's server process: the whole application (API, no worker) on a random port, as
 * `npm start` builds it, plus two IPC messages the load generator needs and the API cannot do:
 * lift the benchmark tenants to the agency plan (25 sites each), and do the worker's rebuild of
 * the workspace rollups after the imports, at once and measured (the worker waits for a
 * workspace's writes to pause first). Configuration from the environment.
 */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/server/config.ts';
import { createHttpServer } from '../../src/server/http/app.ts';
import { createLogger } from '../../src/server/logger.ts';
import { createServices } from '../../src/server/services.ts';
import {
  refreshWorkspaceRollups,
  workspacesDueForRollup,
} from '../../src/server/domain/metrics/workspace-rollups.ts';
import {
  changeIdentityRowsAsOwner,
  tenantIdentity,
} from '../../src/server/data/identity-changes.ts';

const config = loadConfig();
const services = await createServices(config, createLogger(config.LOG_LEVEL));
const server = createHttpServer(services).listen(0, '127.0.0.1', () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});

process.on('message', (message: { type: string; tenantIds?: string[] }) => {
  void (async () => {
    if (message.type === 'plan' && message.tenantIds) {
      const tenantIds = message.tenantIds;
      await changeIdentityRowsAsOwner(services.database, tenantIds.map(tenantIdentity), (tx) =>
        tx.updateTable('tenants').set({ plan: 'agency' }).where('id', 'in', tenantIds).execute(),
      );
      process.send?.({ type: 'plan-done' });
    }
    if (message.type === 'rollups') {
      let workspaces = 0;
      let entries = 0;
      for (;;) {
        const due = await workspacesDueForRollup(services.database, 100, 0);
        if (due.length === 0) break;
        for (const tenantId of due) {
          entries += await refreshWorkspaceRollups(services.database, tenantId);
          workspaces++;
        }
      }
      process.send?.({ type: 'rollups-done', workspaces, entries });
    }
    if (message.type === 'stop') {
      server.close();
      server.closeAllConnections();
      await services.close();
      process.exit(0);
    }
  })();
});
