/**
 * Assembles the HTTP API: shared middleware, each domain's routes, /openapi.json, and the one
 * error handler. The app is a plain Hono instance: tests drive it with `app.request()`, the
 * server (server.ts) hands it Node's requests.
 */
import { Hono } from 'hono';
import { registerBuildRoutes } from '../builds/routes.ts';
import { registerCollectionRoutes } from '../collections/routes.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import { registerSubscriptionRoutes } from '../events/routes.ts';
import { registerGatingRoutes } from '../gating/routes.ts';
import { registerResolutionRoutes } from '../resolution/routes.ts';
import { registerResultsRoutes } from '../results/routes.ts';
import { registerSchedulingRoutes } from '../scheduling/routes.ts';
import { registerUserRoutes } from '../users/routes.ts';
import { registerWaiverRoutes } from '../waivers/routes.ts';
import { ApiRoutes, s, type AppEnv, type RouteDeclaration } from './api-routes.ts';
import { notFoundResponse, toErrorResponse } from './error-handler.ts';
import { HttpMetrics, registerObservabilityRoutes } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { mountWebUi } from './web-ui.ts';

export interface CreateAppOptions {
  db: Db;
  config: Config;
}

export type RippleApp = Hono<AppEnv> & { routeDeclarations: readonly RouteDeclaration[] };

const version = '0.1.0';

export function createApp({ db, config }: CreateAppOptions): RippleApp {
  const app = new Hono<AppEnv>();
  const metrics = new HttpMetrics();
  app.use('*', metrics.middleware());
  app.use('*', async function provideServices(c, next) {
    c.set('db', db);
    c.set('config', config);
    await next();
  });
  app.onError(toErrorResponse);
  app.notFound(notFoundResponse);

  const routes = new ApiRoutes(app);
  registerObservabilityRoutes(routes, metrics);
  registerCollectionRoutes(routes);
  registerResolutionRoutes(routes);
  registerUserRoutes(routes);
  registerResultsRoutes(routes);
  registerWaiverRoutes(routes);
  registerGatingRoutes(routes);
  registerBuildRoutes(routes);
  registerSchedulingRoutes(routes);
  registerSubscriptionRoutes(routes);
  routes.add({
    method: 'get', path: '/openapi.json', tag: 'operations', summary: 'This document',
    response: s.object({ openapi: s.string(), paths: s.object({}) }),
    handler: (c) => c.json(openApiDocument(routes.declarations, { version, serverUrl: config.baseUrl || undefined })),
  });
  mountWebUi(app);
  return Object.assign(app, { routeDeclarations: routes.declarations });
}
