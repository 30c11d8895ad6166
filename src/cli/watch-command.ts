/**
 * `ripple watch <collection>`: follows the event log and prints each event of the collection as
 * one readable line, as they are committed. Woken by the event log's NOTIFY, with a one-second
 * poll as the fallback (a notification can be missed while reconnecting).
 */
import { getCollection } from '../collections/service.ts';
import { EVENTS_CHANNEL, latestEventId, readEvents, type Event } from '../events/event-log.ts';
import { runCommand, untilSignal, withDatabase } from './command-line.ts';

const help = `usage: ripple watch <collection> [--from ID] [--once]

Prints the collection's events as they happen, one line each, until Ctrl-C.

  --from ID   start after event ID (0 replays everything the log kept) instead of now
  --once      print the events up to now and exit`;

const POLL_MS = 1000;
const PAGE = 500;

type Payload = Record<string, any>;

function describe(event: Event): string {
  const p = event.payload as Payload;
  const name = event.packageName ?? p.name;
  switch (event.type) {
    case 'package.state.change':
      return `${name}: ${p.old ?? '-'} -> ${p.new}${p.reason ? ` (${p.reason})` : ''}`;
    case 'package.buildability.change':
      return `${name}: became ${p.resolved ? 'resolvable' : 'unresolvable'}${p.root_cause?.summary ? `: ${p.root_cause.summary}` : ''}`;
    case 'package.dependency.change': {
      const shown = (p.changes as Payload[] ?? []).slice(0, 3)
        .map((c) => (c.previous == null ? `+${c.current}` : c.current == null ? `-${c.previous}` : `${c.previous} -> ${c.current}`));
      return `${name}: ${p.count} dependency change${p.count === 1 ? '' : 's'}: ${shown.join(', ')}${p.count > shown.length ? ', ...' : ''}`;
    }
    case 'package.change':
      return `${name}: ${Object.entries(p.changes as Payload ?? {}).map(([k, v]) => `${k} ${JSON.stringify(v.old)} -> ${JSON.stringify(v.new)}`).join(', ')}`;
    case 'snapshot.ingested':
      return `snapshot ${p.snapshot}: ${p.sources} sources, ${p.solved} solved, ${p.changed} changed, ${p.state_changes} state changes, ${p.unresolved} unresolved (${((p.duration_ms ?? 0) / 1000).toFixed(1)} s)`;
    case 'snapshot.failed':
      return `ingest failed: ${p.error}`;
    case 'collection.state.change':
      return `collection ${p.old} -> ${p.new}`;
    case 'collection.change':
      return `collection ${String(p.action).replace(/_/g, ' ')}${p.count !== undefined ? ` (${p.count})` : ''}`;
    default:
      return JSON.stringify(p).slice(0, 160);
  }
}

export const formatEvent = (event: Event) =>
  `${event.occurredAt.toISOString().slice(11, 19)} #${event.id} ${event.type.padEnd(26)} ${describe(event)}`;

export const run = (args: string[]) => runCommand({
  name: 'watch', help, positionals: { min: 1 }, options: { from: { type: 'string' }, once: { type: 'boolean' } },
}, args, async (a) => {
  const from = a.integer('from');
  await withDatabase(async (database) => {
    const { db } = database;
    const collection = await getCollection(db, a.positionals[0]!);
    let after = from ?? (await latestEventId(db));
    let wake = () => {};
    const unlisten = await database.listen(EVENTS_CHANNEL, () => wake());
    let stopped = false;
    void untilSignal().then(() => {
      stopped = true;
      wake();
    });
    if (!a.flag('once')) console.error(`watching ${collection.name} after event ${after}; Ctrl-C stops`);
    try {
      while (!stopped) {
        const events = await readEvents(db, { afterId: after, limit: PAGE, collectionId: collection.id });
        for (const event of events) console.log(formatEvent(event));
        if (events.length) after = events.at(-1)!.id;
        if (events.length === PAGE) continue;
        if (a.flag('once')) break;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      await unlisten();
    }
  });
});
