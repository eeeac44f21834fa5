import fs from 'node:fs';
import http, { type Server } from 'node:http';
import path from 'node:path';
import compression from 'compression';
import { parse as parseCookies } from 'cookie';
import express, { type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import { inTransaction } from '../data/scoped-transaction.ts';
import { findSharedLink } from '../domain/report-links/shared-report.ts';
import { projectRoot } from '../lib/project-root.ts';
import type { AppServices } from '../services.ts';
import { allRoutes, mounts } from '../routes/index.ts';
import type { AnyRoute } from './define-route.ts';
import { mountApiDocs } from './api-docs.ts';
import { errorHandler } from './error-handler.ts';
import { expressPrototypes } from './express-prototypes.ts';
import { AppError } from '../errors.ts';
import { handleRoute } from './handle-route.ts';
import { leanDispatcher } from './lean-routes.ts';
import { requestLogger } from './request-log.ts';
import { buildOpenApi } from './openapi.ts';

const WEB_DIST = path.join(projectRoot(), 'dist/web');

/**
 * The HTTP server: lean routes (lean-routes.ts) straight from node:http, everything else through
 * the Express application.
 */
export function createHttpServer(services: AppServices, routes: AnyRoute[] = allRoutes()): Server {
  const app = createHttpApp(services, routes);
  const lean = leanDispatcher(routes, services);
  const server = http.createServer(expressPrototypes(app), (req, res) => {
    if (!lean(req, res)) app(req, res);
  });
  // Idle keep-alive connections stay open longer than clients and proxies keep theirs (Node's
  // default is 5 s): a server that closes one first races the client's next request on it, which
  // then fails with ECONNRESET.
  server.keepAliveTimeout = 65_000;
  return server;
}

const flushNothing = () => undefined;

/**
 * br or gzip as the client accepts; streamed exports are flushed as they are written. A request
 * without Accept-Encoding gets its body as it is (compression's own rule) without passing through
 * the middleware, which wraps every response's writes and header hook: a tenth of a /healthz
 * request's CPU (bench/roi.ts). Its response still names the header it varies by, and `res.flush`
 * is there for every route (nothing to flush: its writes go out as they are made).
 */
export function compressWhenAccepted(): RequestHandler {
  const compress = compression();
  return (req, res, next) => {
    if (req.headers['accept-encoding'] !== undefined) {
      compress(req, res, next);
      return;
    }
    res.setHeader('Vary', 'Accept-Encoding');
    res.flush = flushNothing;
    next();
  };
}

/** The Express application: API routes, health, OpenAPI, docs and the web app. */
function createHttpApp(services: AppServices, routes: AnyRoute[]): Express {
  const { config, logger } = services;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.set('query parser', 'extended');

  app.use(requestLogger(logger));
  app.use(compressWhenAccepted());
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          defaultSrc: ["'self'"],
          imgSrc: ["'self'", 'data:', 'https:'],
          styleSrc: ["'self'", "'unsafe-inline'"],
          scriptSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'", 'https://checkout.stripe.com', 'https://billing.stripe.com'],
          upgradeInsecureRequests: null,
        },
      },
      strictTransportSecurity: config.appUrl.startsWith('https:'),
    }),
  );
  app.use((req, _res, next) => {
    req.cookies = req.headers.cookie ? parseCookies(req.headers.cookie) : {};
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const checks: Record<string, string> = {};
    let ready = true;
    const probe = async (name: string, fn: () => Promise<void>) => {
      try {
        await Promise.race([
          fn(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000)),
        ]);
        checks[name] = 'ok';
      } catch {
        checks[name] = 'unavailable';
        ready = false;
      }
    };
    await probe('database', () => services.database.ping());
    const redis = services.redis;
    if (redis) {
      await probe('redis', async () => {
        await redis.ping();
      });
      await probe('queue', () => services.queue.ping());
    }
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });

  let openapi: Record<string, unknown> | undefined;
  const openApiDoc = () => (openapi ??= buildOpenApi(routes));
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApiDoc());
  });
  mountApiDocs(app);

  for (const route of routes) {
    if (route.handler) app[route.method](route.path, ...handleRoute(route, services));
  }
  for (const mount of mounts) mount(app, services);

  // Nothing under /api or /sandbox falls through to the web app (a sandbox that is off is a 404).
  app.all(['/api/*rest', '/sandbox/*rest'], (req, _res, next) => {
    next(new AppError('not_found', `No endpoint ${req.method} ${req.path}`));
  });

  if (fs.existsSync(path.join(WEB_DIST, 'index.html'))) {
    // Vite names every built asset by its content hash: such a file never changes, so browsers
    // may keep it a year. Source maps are not built for the web app, so none is served.
    app.use(
      '/assets',
      express.static(path.join(WEB_DIST, 'assets'), {
        index: false,
        immutable: true,
        maxAge: '365d',
        fallthrough: false,
      }),
    );
    app.use(express.static(WEB_DIST, { index: false, maxAge: '1h' }));
    // A shared report's page: the web app, answered 404 (the same page) for a link that is
    // unknown, revoked or expired, like its API. The token never leaves in a Referer.
    app.get('/r/:token', async (req, res, next) => {
      try {
        const token = String(req.params.token);
        const live =
          /^[A-Za-z0-9_-]{16,100}$/.test(token) &&
          (await inTransaction(services.database, {}, (tx) => findSharedLink(tx, token))) !== null;
        res.status(live ? 200 : 404);
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Referrer-Policy', 'no-referrer');
        res.setHeader('X-Robots-Tag', 'noindex, nofollow');
        res.sendFile(path.join(WEB_DIST, 'index.html'));
      } catch (error) {
        next(error);
      }
    });
    // '/*splat' needs at least one segment in Express 5: '/' is listed apart.
    app.get(['/', '/*splat'], (_req, res) => {
      res.setHeader('Cache-Control', 'no-cache');
      res.sendFile(path.join(WEB_DIST, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => {
      res
        .type('text')
        .send('ROI Spectrum API is running. The web app is not built: run `npm run build`.');
    });
  }

  app.use((req, _res, next) => {
    next(new AppError('not_found', `No page ${req.method} ${req.path}`));
  });
  app.use(errorHandler);
  return app;
}
