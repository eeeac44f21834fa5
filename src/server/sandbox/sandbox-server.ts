import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { createSandboxRouter } from './sandbox-router.ts';
import { generateSandboxSecrets } from './sandbox-secrets.ts';
import { StripeSandbox, type StripeSandboxOptions } from './sandbox-state.ts';

export interface SandboxServer {
  /** Base URL: the API is at `<url>/v1`, the hosted pages at `<url>/checkout/:id`, `<url>/portal/:id`. */
  url: string;
  sandbox: StripeSandbox;
  close(): Promise<void>;
}

/**
 * Serves a sandbox on its own port, with its own state: a Stripe-compatible server for tests and
 * benchmarks (point the app at it with STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET).
 */
export async function startSandboxServer(
  options: Omit<StripeSandboxOptions, 'publicUrl' | 'secretKey' | 'webhookSecret'> & {
    /** Default: generated (read them back from `sandbox.secretKey`, `sandbox.webhookSecret`). */
    secretKey?: string;
    webhookSecret?: string;
    port?: number;
    host?: string;
  } = {},
): Promise<SandboxServer> {
  let url = '';
  const generated = generateSandboxSecrets();
  const sandbox = new StripeSandbox({
    ...options,
    secretKey: options.secretKey ?? generated.secretKey,
    webhookSecret: options.webhookSecret ?? generated.webhookSecret,
    publicUrl: () => url,
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  app.use(createSandboxRouter(sandbox));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve(s));
  });
  server.keepAliveTimeout = 65_000;
  const { port } = server.address() as AddressInfo;
  url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  return {
    url,
    sandbox,
    async close() {
      sandbox.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
