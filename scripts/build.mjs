// Builds what `npm start` runs: the server bundle (esbuild) and the web app (vite).
// `node scripts/build.mjs --if-stale` rebuilds only what changed since the last build.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ifStale = process.argv.includes('--if-stale');

function newestMtime(...entries) {
  let newest = 0;
  const walk = (p) => {
    if (!fs.existsSync(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) for (const f of fs.readdirSync(p)) walk(path.join(p, f));
    else newest = Math.max(newest, st.mtimeMs);
  };
  for (const e of entries) walk(path.join(root, e));
  return newest;
}
const stampTime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);

const serverOut = path.join(root, 'dist/server/main.js');
const serverInputs = ['src/server', 'src/shared', 'package.json'];
if (!ifStale || stampTime(serverOut) < newestMtime(...serverInputs)) {
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(root, 'src/server/main.ts')],
    outfile: serverOut,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
  console.log('built server → dist/server/main.js');
}

const webIndex = path.join(root, 'dist/web/index.html');
const webInputs = ['src/web', 'src/shared', 'index.html', 'vite.config.ts'];
if (
  fs.existsSync(path.join(root, 'index.html')) &&
  (!ifStale || stampTime(webIndex) < newestMtime(...webInputs))
) {
  const result = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  if (result.status !== 0) process.exit(result.status ?? 1);
  console.log('built web app → dist/web');
}

// The API reference (/api/docs): our page and Swagger UI's files, copied on every build because
// vite empties dist/web when it rebuilds. Keep the list in step with src/server/http/api-docs.ts.
const apiDocs = path.join(root, 'dist/web/api-docs');
fs.mkdirSync(apiDocs, { recursive: true });
for (const file of [
  'swagger-ui-bundle.js',
  'swagger-ui.css',
  'favicon-32x32.png',
  'favicon-16x16.png',
]) {
  fs.copyFileSync(path.join(root, 'node_modules/swagger-ui-dist', file), path.join(apiDocs, file));
}
for (const file of fs.readdirSync(path.join(root, 'src/web/api-docs'))) {
  fs.copyFileSync(path.join(root, 'src/web/api-docs', file), path.join(apiDocs, file));
}
