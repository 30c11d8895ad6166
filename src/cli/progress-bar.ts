/**
 * A one-line progress bar on stderr for long CLI commands. It draws only when stderr is a TTY and
 * the job is more than a handful of items, so piped output and logs never carry control characters.
 */
export interface ProgressBar {
  /** Advances by `n` (default 1). */
  tick(n?: number): void;
  /** Moves to `done` items in total (for callbacks that report absolute progress). */
  set(done: number): void;
  /** Erases the bar. */
  done(): void;
}

const WIDTH = 30;
/** Redrawing more often than this only costs time. */
const MIN_REDRAW_MS = 100;

export function createProgressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr, minTotal = 10): ProgressBar {
  if (!stream.isTTY || total < minTotal) return { tick() {}, set() {}, done() {} };
  const started = Date.now();
  let count = 0;
  let drawn = 0;
  const draw = (force: boolean) => {
    const now = Date.now();
    if (!force && now - drawn < MIN_REDRAW_MS) return;
    drawn = now;
    const fraction = Math.min(1, count / total);
    const filled = Math.round(fraction * WIDTH);
    const elapsed = (now - started) / 1000;
    const eta = count > 0 ? (elapsed / count) * (total - count) : 0;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${count}/${total} ${elapsed.toFixed(0)}s, ~${eta.toFixed(0)}s left\x1b[K`);
  };
  return {
    tick(n = 1) {
      count += n;
      draw(count >= total);
    },
    set(done) {
      count = done;
      draw(count >= total);
    },
    done() {
      stream.write('\r\x1b[K');
    },
  };
}
