/**
 * Structured, scoped logs: one JSON object per line on stderr, a fixed message plus data.
 * `error` is reserved for Ripple's own bugs; user mistakes and bad repositories are `info`/`warn`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
  scope(fields: Record<string, unknown>): Logger;
}

function threshold(): number {
  const wanted = (process.env.RIPPLE_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info')) as LogLevel;
  return order[wanted] ?? order.info;
}

export function createLogger(fields: Record<string, unknown> = {}): Logger {
  const write = (level: LogLevel, message: string, data?: Record<string, unknown>) => {
    if (order[level] < threshold()) return;
    const line = { time: new Date().toISOString(), level, message, ...fields, ...data };
    process.stderr.write(JSON.stringify(line, (_k, v) => (v instanceof Error ? { name: v.name, message: v.message } : v)) + '\n');
  };
  return {
    debug: (m, d) => write('debug', m, d),
    info: (m, d) => write('info', m, d),
    warn: (m, d) => write('warn', m, d),
    error: (m, d) => write('error', m, d),
    scope: (more) => createLogger({ ...fields, ...more }),
  };
}

export const log = createLogger();
