/**
 * Who is logged in: the token pasted on the login page (kept in localStorage, since API tokens
 * are Ripple's only credential) and what GET /api/me says about it. Reading needs no login.
 */
import { api, storedToken, storeToken } from './api.ts';
import type { Me } from './types.ts';

let me: Me | null = null;
const listeners = new Set<() => void>();

export const currentUser = () => me;
export const can = (scope: 'admin' | 'maintainer' | 'ci') => me?.scopes.includes(scope) ?? false;
export const onSessionChange = (listener: () => void) => listeners.add(listener);

/** Loads the stored token's user; a token that no longer works is forgotten. */
export async function restoreSession(): Promise<void> {
  const token = storedToken();
  if (!token) return;
  try {
    me = await api<Me>('/api/me', { token });
  } catch {
    storeToken(null);
    me = null;
  }
}

/** Checks the token with the API first: a wrong one is reported and never stored. */
export async function logIn(token: string): Promise<Me> {
  const user = await api<Me>('/api/me', { token });
  storeToken(token);
  me = user;
  for (const listener of listeners) listener();
  return user;
}

export function logOut(): void {
  storeToken(null);
  me = null;
  for (const listener of listeners) listener();
}
