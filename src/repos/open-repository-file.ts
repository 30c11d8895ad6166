/**
 * Opens one file of a repository (local directory, file:// URL or http(s):// URL) as a stream of
 * decompressed chunks, chosen by file suffix, while hashing the raw bytes for checksum checks.
 * Consumers get the chunks inside a callback so that every stage (source, decompressor, parser)
 * is torn down and its error reported in one place: a reader either finishes or throws.
 */
import { spawn } from 'node:child_process';
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Duplex, PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';
import { repositoryUnreadable, type RippleError } from '../errors.ts';

export interface ExpectedChecksum {
  /** As written in repomd: sha256, sha1 (or its old name sha), sha512, md5. */
  type: string;
  value: string;
}

export interface OpenOptions {
  /** When given, the raw (compressed) bytes must hash to this, or the read fails. */
  checksum?: ExpectedChecksum;
}

export interface FileReadResult<T> {
  value: T;
  /** Hex digest of the raw bytes, in the checksum type asked for (sha256 by default). */
  rawDigest: string;
  rawSize: number;
}

/** Joins a base location and a relative href into the address used in errors and for reading. */
export function resolveLocation(base: string, href: string): string {
  if (/^https?:\/\//.test(base) || base.startsWith('file://')) {
    return new URL(href, base.endsWith('/') ? base : `${base}/`).toString();
  }
  return `${base.replace(/\/+$/, '')}/${href}`;
}

function nodeHashName(type: string, file: string): string {
  const names: Record<string, string> = { sha256: 'sha256', sha: 'sha1', sha1: 'sha1', sha512: 'sha512', sha384: 'sha384', md5: 'md5' };
  const name = names[type.toLowerCase()];
  if (!name) throw repositoryUnreadable({ file, field: 'checksum' }, `unsupported checksum type '${type}'`);
  return name;
}

/** True for errors that mean "this file is not there" (so a caller may try an alternative name). */
export function isMissingFile(error: unknown): boolean {
  return (error as RippleError)?.details?.missing === true;
}

async function openRaw(address: string): Promise<Readable> {
  if (/^https?:\/\//.test(address)) {
    let response: Response;
    try {
      response = await fetch(address);
    } catch (cause) {
      throw repositoryUnreadable({ file: address }, `cannot fetch: ${(cause as Error).message}`, cause);
    }
    if (response.status === 404 || response.status === 410) {
      const error = repositoryUnreadable({ file: address }, `file does not exist (HTTP ${response.status})`);
      error.details.missing = true;
      throw error;
    }
    if (!response.ok || !response.body) {
      throw repositoryUnreadable({ file: address }, `HTTP ${response.status} ${response.statusText}`);
    }
    return Readable.fromWeb(response.body as import('node:stream/web').ReadableStream);
  }
  const path = address.startsWith('file://') ? fileURLToPath(address) : address;
  const stream = createReadStream(path);
  // Surface "missing" before any consumer starts, so alternatives can be tried cleanly.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (cause: NodeJS.ErrnoException) => {
      const error = repositoryUnreadable({ file: address }, cause.code === 'ENOENT' ? 'file does not exist' : cause.message, cause);
      if (cause.code === 'ENOENT') error.details.missing = true;
      reject(error);
    });
  });
  return stream;
}

/** Runs an external decompressor (`xz -dc`, `zstd -dc`) as a stream stage that fails on a non-zero exit. */
function externalDecompressor(command: string, address: string): Duplex {
  const child = spawn(command, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', (cause: NodeJS.ErrnoException) =>
      reject(repositoryUnreadable({ file: address }, cause.code === 'ENOENT' ? `'${command}' is not installed; it is needed to decompress this file` : cause.message, cause)));
    child.once('close', (code) => resolve(code));
  });
  // A truncated input makes the tool write a short output and exit non-zero; check before ending.
  async function* output() {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) throw repositoryUnreadable({ file: address }, `corrupt or truncated ${command} data: ${stderr.trim() || `exit code ${code}`}`);
  }
  // EPIPE on stdin when the tool gives up early is reported through the exit code above instead.
  child.stdin.on('error', () => undefined);
  const duplex = Duplex.from({ writable: child.stdin, readable: Readable.from(output()) });
  duplex.once('close', () => { if (child.exitCode === null) child.kill(); });
  return duplex;
}

type Compression = 'gz' | 'xz' | 'zst' | 'none';

function compressionOf(address: string): Compression {
  const path = address.replace(/[?#].*$/, '');
  const suffix = path.slice(path.lastIndexOf('.') + 1);
  if (suffix === 'gz' || suffix === 'xz' || suffix === 'zst') return suffix;
  // zchunk needs its own index format; bzip2 is long gone from rpm-md and Debian archives.
  if (suffix === 'zck' || suffix === 'bz2') throw repositoryUnreadable({ file: address }, `unsupported compression '.${suffix}'`);
  return 'none';
}

function decompressor(compression: Compression, address: string): Duplex {
  if (compression === 'gz') return createGunzip();
  if (compression === 'xz') return externalDecompressor('xz', address);
  if (compression === 'zst') return externalDecompressor('zstd', address);
  return new PassThrough();
}

function hashingTap(hash: Hash, counter: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      counter.bytes += chunk.length;
      done(null, chunk);
    },
  });
}

/**
 * Reads `href` below `base` and hands the decompressed chunks to `consume`. Decompression errors,
 * truncation, network errors and checksum mismatches all become a RippleError naming the file.
 */
export async function readRepositoryFile<T>(
  base: string,
  href: string,
  consume: (chunks: AsyncIterable<Buffer>, address: string) => Promise<T>,
  options: OpenOptions = {},
): Promise<FileReadResult<T>> {
  const address = resolveLocation(base, href);
  const hash = createHash(nodeHashName(options.checksum?.type ?? 'sha256', address));
  const counter = { bytes: 0 };
  const compression = compressionOf(address);
  const raw = await openRaw(address);
  let value!: T;
  let consumerError: unknown;
  try {
    await pipeline(raw, hashingTap(hash, counter), decompressor(compression, address), async (source: AsyncIterable<Buffer>) => {
      try {
        value = await consume(source, address);
      } catch (error) {
        consumerError = error;
        throw error;
      }
      // Drain what the consumer left so the raw digest covers the whole file.
      for await (const _ of source) { /* discard */ }
    });
  } catch (cause) {
    // The pipeline may report the teardown (AbortError) rather than the parser's own error.
    if (consumerError !== undefined) throw consumerError;
    if ((cause as RippleError).name === 'RippleError') throw cause;
    throw repositoryUnreadable({ file: address, offset: counter.bytes }, `cannot read: ${(cause as Error).message}`, cause);
  }
  const rawDigest = hash.digest('hex');
  if (options.checksum && rawDigest !== options.checksum.value.toLowerCase()) {
    throw repositoryUnreadable({ file: address, field: 'checksum' },
      `${options.checksum.type} checksum mismatch: repository metadata says ${options.checksum.value}, file has ${rawDigest}`);
  }
  return { value, rawDigest, rawSize: counter.bytes };
}

/** Hashes the raw bytes of a file without decompressing it (cheap change detection). */
export async function rawFileDigest(base: string, href: string, type = 'sha256'): Promise<string> {
  const address = resolveLocation(base, href);
  const hash = createHash(nodeHashName(type, address));
  const raw = await openRaw(address);
  try {
    for await (const chunk of raw) hash.update(chunk as Buffer);
  } catch (cause) {
    throw repositoryUnreadable({ file: address }, `cannot read: ${(cause as Error).message}`, cause);
  }
  return hash.digest('hex');
}

/**
 * Splits decompressed chunks into batches of lines (without the newline), decoding UTF-8 across
 * chunk borders. Batches rather than single lines keep the per-line cost of async iteration away.
 */
export async function* lineBatches(chunks: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  for await (const chunk of chunks) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split('\n');
    rest = parts.pop()!;
    if (parts.length > 0) yield parts;
  }
  rest += decoder.decode();
  if (rest !== '') yield [rest];
}
