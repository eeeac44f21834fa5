// `npm run lint:openapi`: lints the OpenAPI document the built app serves (run `npm run build`
// first) with the Redocly CLI and redocly.yaml, so the linted document is the one integrators get.
// Starts dist/server/main.js on a free port with a throwaway DATA_DIR, fetches
// /api/v1/openapi.json, lints it and exits with the linter's status.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const main = path.join(root, 'dist/server/main.js');
if (!fs.existsSync(main)) {
  console.error('dist/server/main.js is missing: run `npm run build` first');
  process.exit(2);
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'roi-openapi-'));
const port = await freePort();
const env = {
  ...process.env,
  PORT: String(port),
  DATA_DIR: path.join(tmp, 'data'),
  LOG_LEVEL: 'warn',
};
// The embedded database and in-process queue: nothing shared is touched.
for (const name of ['DATABASE_URL', 'REDIS_URL', 'MONGODB_URL', 'APP_URL', 'NODE_ENV']) {
  delete env[name];
}
const app = spawn(process.execPath, [main, 'api'], {
  env,
  stdio: ['ignore', 'inherit', 'inherit'],
});
let exited = false;
app.on('exit', () => {
  exited = true;
});

let status = 1;
try {
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error('the app exited before it was ready');
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error('the app was not ready within 60 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const res = await fetch(`${base}/api/v1/openapi.json`);
  if (!res.ok) throw new Error(`GET /api/v1/openapi.json answered ${res.status}`);
  const file = path.join(tmp, 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(await res.json(), null, 2));
  const lint = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/@redocly/cli/bin/cli.js'),
      'lint',
      file,
      '--config',
      path.join(root, 'redocly.yaml'),
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  status = lint.status ?? 1;
} catch (err) {
  console.error(`lint-openapi: ${err instanceof Error ? err.message : err}`);
} finally {
  if (!exited) {
    app.kill('SIGTERM');
    await new Promise((resolve) => (exited ? resolve() : app.once('exit', resolve)));
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(status);
