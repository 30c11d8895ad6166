/**
 * Serves the app on Node's http server. `server` is exposed so a WebSocket server (events hub)
 * can attach to the same port: `new WebSocketServer({ server })` or its 'upgrade' event.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Config } from '../config.ts';
import { log } from '../log.ts';

export interface RunningServer {
  /** http://host:port, with the port actually bound (config port 0 picks a free one). */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface StartServerOptions {
  app: Hono<any>;
  config: Pick<Config, 'httpHost' | 'httpPort'>;
  /** Called with the http server before it listens, e.g. to attach a WebSocket server. */
  onServer?: (server: Server) => void;
}

export async function startServer({ app, config, onServer }: StartServerOptions): Promise<RunningServer> {
  const server = createAdaptorServer({ fetch: app.fetch, hostname: config.httpHost }) as Server;
  onServer?.(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue lets thousands of websocket clients reconnect at once (bench/ws.ts).
    server.listen({ port: config.httpPort, host: config.httpHost, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  log.info('http server listening', { url });
  return {
    url,
    server,
    close: () => new Promise<void>((resolve, reject) => {
      server.close((error) => (error ? reject(error) : resolve()));
      // Keep-alive connections would hold close() open until they time out.
      server.closeAllConnections();
    }),
  };
}
