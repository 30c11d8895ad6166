/** What a page module provides to the router (main.ts). */
import type { Child } from './dom.ts';
import type { EventFilter } from './live.ts';

export interface PageContext {
  /** Path segments captured by the route (decoded). */
  params: string[];
  query: URLSearchParams;
  /** Re-reads the page's data and redraws it (after an action or a live event). */
  refresh(): void;
  /** Client-side navigation to another page of the UI. */
  navigate(url: string): void;
}

export interface PageView {
  title: string;
  content: Child;
}

export interface Page {
  /** The events that change what the page shows; subscribed before its data is read. */
  live?(ctx: PageContext): EventFilter[];
  load(ctx: PageContext): Promise<PageView>;
}
