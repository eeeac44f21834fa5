import fs from 'node:fs';
import path from 'node:path';
import express, { type Express } from 'express';
import { projectRoot } from '../lib/project-root.ts';

/**
 * Swagger UI's files the reference page loads; `npm run build` copies them from swagger-ui-dist
 * (a dev dependency, like the rest of the web build) into dist/web/api-docs beside our page
 * (src/web/api-docs). Keep in step with scripts/build.mjs.
 */
const SWAGGER_UI_FILES = new Set([
  'swagger-ui-bundle.js',
  'swagger-ui.css',
  'favicon-32x32.png',
  'favicon-16x16.png',
]);

/**
 * `/api/docs`: the interactive API reference (Swagger UI) on `/api/v1/openapi.json`, every file
 * from this origin. Served from the build; before a build (tests, `npm run dev`) from the sources
 * and the installed package.
 */
export function mountApiDocs(app: Express): void {
  const root = projectRoot();
  const built = path.join(root, 'dist/web/api-docs');
  const dirs = fs.existsSync(path.join(built, 'index.html'))
    ? [built]
    : [path.join(root, 'src/web/api-docs'), path.join(root, 'node_modules/swagger-ui-dist')];
  const page = path.join(dirs[0]!, 'index.html');

  app.get(['/api/docs', '/docs'], (req, res) => {
    // The page names its assets under /api/docs/: serve it at that one address.
    if (req.path !== '/api/docs') return res.redirect(301, '/api/docs');
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(page);
  });
  for (const [i, dir] of dirs.entries()) {
    const onlySwaggerFiles = i > 0;
    const serve = express.static(dir, { index: false, maxAge: '1h' });
    app.use('/api/docs', (req, res, next) => {
      if (onlySwaggerFiles && !SWAGGER_UI_FILES.has(req.path.slice(1))) return next();
      serve(req, res, next);
    });
  }
}
