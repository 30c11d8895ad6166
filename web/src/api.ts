/**
 * The REST client: JSON in and out, the stored token (if any) as bearer, and Ripple's error body
 * (`{message, code, details}`) turned into an ApiError whose message can be shown as is.
 */
const tokenKey = 'ripple.token';

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly code?: string) {
    super(message);
  }
}

export const storedToken = (): string | null => localStorage.getItem(tokenKey);

export function storeToken(token: string | null): void {
  if (token) localStorage.setItem(tokenKey, token);
  else localStorage.removeItem(tokenKey);
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Overrides the stored token (the login form tries a token before storing it). */
  token?: string | null;
  signal?: AbortSignal;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const token = options.token === undefined ? storedToken() : options.token;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: options.method ?? 'GET', headers, signal: options.signal,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const body = (data ?? {}) as { message?: string; code?: string };
    throw new ApiError(body.message ?? `${options.method ?? 'GET'} ${path} answered ${response.status}`, response.status, body.code);
  }
  return data as T;
}

/** Encodes each path segment: `path('api', 'collections', name)` → `/api/collections/<name>`. */
export const path = (...segments: (string | number)[]) => `/${segments.map((s) => encodeURIComponent(String(s))).join('/')}`;

export function query(params: Record<string, string | number | undefined | null | (string | number)[]>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined && v !== null && v !== '') search.append(key, String(v));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
