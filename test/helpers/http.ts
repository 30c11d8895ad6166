/** Calling an app in-process the way HTTP clients do: JSON in, status + parsed JSON + text out. */
import type { Hono } from 'hono';

export interface CallOptions { token?: string; body?: unknown; rawBody?: string }
export interface CallResult { status: number; json: any; text: string }
export type JsonCall = (method: string, path: string, options?: CallOptions) => Promise<CallResult>;

// Hono's type parameters differ per app; only `request` is used.
export function jsonCaller(app: Pick<Hono<any>, 'request'>): JsonCall {
  return async (method, path, options = {}) => {
    const headers: Record<string, string> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const body = options.body !== undefined ? JSON.stringify(options.body) : options.rawBody;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await app.request(`http://ripple.test${path}`, { method, headers, body });
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  };
}
