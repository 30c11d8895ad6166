/**
 * Serves the web UI (`web/`): the page shell for every UI path, the stylesheet, and the client
 * code bundled from `web/src/main.ts` with esbuild on first request (kept in memory, so a clean
 * clone needs no build step and edits show after a restart). The UI reads only the public REST API
 * and /ws; nothing here is part of the API or of /openapi.json.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { log } from '../log.ts';
import type { AppEnv } from './api-routes.ts';

const webRoot = fileURLToPath(new URL('../../web/', import.meta.url));

/** Client-side routes (web/src/main.ts): each serves the shell, the client renders the page. */
export const uiPaths = ['/', '/packages', '/packages/*', '/groups', '/groups/*', '/queue', '/explore', '/waves', '/waves/*', '/login'] as const;

let bundle: Promise<string> | undefined;

async function buildBundle(): Promise<string> {
  const { build } = await import('esbuild');
  const started = Date.now();
  const result = await build({
    entryPoints: [`${webRoot}src/main.ts`], bundle: true, format: 'esm', target: 'es2022', write: false, minify: true,
    sourcemap: false, legalComments: 'none', logLevel: 'silent',
  });
  log.info('web ui bundled', { ms: Date.now() - started, bytes: result.outputFiles[0]!.contents.length });
  return result.outputFiles[0]!.text;
}

/**
 * Mounted as middleware rather than GET routes: the UI is not part of the API, so it stays out of
 * the route table that /openapi.json is checked against. Anything but GET/HEAD falls through to 404.
 */
export function mountWebUi(app: Hono<AppEnv>): void {
  const shell = readFileSync(`${webRoot}index.html`, 'utf8');
  const styles = readFileSync(`${webRoot}styles.css`, 'utf8');
  const get = (path: string, handler: (c: Context<AppEnv>) => Response | Promise<Response>) =>
    app.use(path, async (c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? handler(c) : next()));
  for (const path of uiPaths) get(path, (c) => c.html(shell, 200, { 'cache-control': 'no-cache' }));
  get('/assets/app.css', (c) => c.body(styles, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));
  get('/assets/app.js', async (c) => {
    bundle ??= buildBundle().catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    return c.body(await bundle, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' });
  });
}
