/**
 * Streams XML chunks through saxes and calls back per element, with namespace prefixes dropped
 * (`rpm:entry` -> `entry`) since rpm-md files always use the conventional prefixes for the same things.
 * Malformed XML becomes a RippleError with file:line:column.
 */
import { SaxesParser } from 'saxes';
import { repositoryUnreadable, type RippleError } from '../errors.ts';

export interface XmlHandlers {
  open(name: string, attributes: Record<string, string>): void;
  close(name: string): void;
  /** Text inside the innermost open element (may arrive in pieces). */
  text?(text: string): void;
}

export interface XmlPosition { line: number; column: number }

const localName = (name: string) => name.slice(name.indexOf(':') + 1);

/** Parses the stream; `position()` inside a handler gives the parser's current line and column. */
export async function parseXmlStream(
  chunks: AsyncIterable<Buffer>,
  file: string,
  handlers: (position: () => XmlPosition) => XmlHandlers,
): Promise<void> {
  const parser = new SaxesParser({ position: true });
  const position = () => ({ line: parser.line, column: parser.column + 1 });
  const h = handlers(position);
  let failure: unknown;
  parser.on('error', (error) => { failure ??= error; });
  parser.on('opentag', (tag) => h.open(localName(tag.name), tag.attributes as Record<string, string>));
  parser.on('closetag', (tag) => h.close(localName(tag.name)));
  if (h.text) {
    const onText = h.text;
    parser.on('text', onText);
    parser.on('cdata', onText);
  }
  const decoder = new TextDecoder('utf-8');
  const step = (write: () => void) => {
    try {
      write();
    } catch (error) {
      failure ??= error;
    }
    if (failure === undefined) return;
    if ((failure as RippleError).name === 'RippleError') throw failure;
    // saxes prefixes its messages with "line:column: " already; keep just the problem.
    const problem = (failure as Error).message.replace(/^(?:[^:]*:)?\d+:\d+: /, '');
    throw repositoryUnreadable({ file, ...position() }, `malformed XML: ${problem}`, failure);
  };
  for await (const chunk of chunks) step(() => parser.write(decoder.decode(chunk, { stream: true })));
  step(() => parser.write(decoder.decode()).close());
}
