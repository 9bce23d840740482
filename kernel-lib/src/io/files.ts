/**
 * Thin file-system adapters shared by the readers and writers: every failure becomes a PannError
 * naming the file, so a user sees "cannot read file x.mrc: no such file" instead of a bare ENOENT.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PannError } from '../core/errors';

/**
 * Reads a whole file as bytes.
 * @param filePath path of the file to read
 * @returns the file content
 */
export function readBytes(filePath: string): Buffer {
  try {
    return fs.readFileSync(filePath);
  } catch (e) {
    throw new PannError('FORMAT', `cannot read file: ${(e as Error).message}`, { file: filePath });
  }
}

/**
 * Reads a whole file as UTF-8 text.
 * @param filePath path of the file to read
 */
export function readText(filePath: string): string {
  return readBytes(filePath).toString('utf8');
}

/**
 * Writes bytes or text to a file, creating no directories (a missing folder is the caller's error).
 * @param filePath destination path
 * @param content bytes or UTF-8 text
 */
export function writeFile(filePath: string, content: Uint8Array | string): void {
  try {
    fs.writeFileSync(filePath, content);
  } catch (e) {
    throw new PannError('FORMAT', `cannot write file: ${(e as Error).message}`, { file: filePath });
  }
}

/** Lower-case extension of a path including the dot (".mrc"), or "" when there is none. */
export function extensionOf(filePath: string): string {
  return path.extname(filePath).toLowerCase();
}

/** A view of `buf` as an ArrayBuffer slice of its own (typed arrays need aligned, exclusive memory). */
export function copyBytes(buf: Uint8Array, offset: number, length: number): ArrayBuffer {
  const out = new Uint8Array(length);
  out.set(buf.subarray(offset, offset + length));
  return out.buffer;
}
