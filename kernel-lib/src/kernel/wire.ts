/**
 * The Jupyter wire protocol (messaging spec 5.3): frames, HMAC signing and parsing, WITH binary buffers.
 * tslab's own message class signs buffer frames and JSON-encodes outgoing ones, so every message that may
 * carry buffers (comm_open / comm_msg / comm_close) goes through these functions instead.
 */
import { createHmac, randomBytes } from 'crypto';
import { PannError } from '../core/errors';

/** The delimiter between routing identities and the signed message. */
export const DELIMITER = Buffer.from('<IDS|MSG>');

/** A message header (messaging spec 5.3). */
export interface MessageHeader {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

/** A decoded message: routing identities, the four JSON parts and the raw buffers. */
export interface WireMessage {
  identities: Buffer[];
  header: MessageHeader;
  parentHeader: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
  buffers: Buffer[];
}

/**
 * HMAC-SHA256 hex digest over the four JSON parts (header, parent, metadata, content).
 * Buffers are NOT signed (messaging spec: "the signature covers the four JSON parts").
 * @param key - the connection file's `key`; an empty key disables signing (empty signature).
 */
export function signParts(key: string, parts: Buffer[]): string {
  if (!key) return '';
  const h = createHmac('sha256', key);
  for (const p of parts) h.update(p);
  return h.digest('hex');
}

/** Read only the msg_type of raw frames (no verification); `undefined` when the frames are malformed. */
export function peekMsgType(frames: Buffer[]): string | undefined {
  const d = frames.findIndex((f) => f.equals(DELIMITER));
  if (d < 0 || frames.length < d + 3) return undefined;
  try {
    return (JSON.parse(frames[d + 2].toString('utf8')) as MessageHeader).msg_type;
  } catch {
    return undefined;
  }
}

/**
 * Decode and verify raw frames `[ids..., <IDS|MSG>, hmac, header, parent, metadata, content, buffers...]`.
 * @param key - HMAC key; the signature must match or a PannError('FORMAT') is thrown.
 */
export function parseWire(key: string, frames: Buffer[]): WireMessage {
  const d = frames.findIndex((f) => f.equals(DELIMITER));
  if (d < 0 || frames.length < d + 6) {
    throw new PannError('FORMAT', `Jupyter message has ${frames.length} frames and ${d < 0 ? 'no' : 'a'} delimiter; expected ids, <IDS|MSG>, hmac and 4 JSON parts`);
  }
  const parts = frames.slice(d + 2, d + 6);
  const expected = signParts(key, parts);
  const got = frames[d + 1].toString('utf8');
  if (expected !== got) throw new PannError('FORMAT', `Jupyter message signature ${got.slice(0, 12)}… does not match the connection key`);
  const json = <T>(b: Buffer): T => JSON.parse(b.toString('utf8')) as T;
  return {
    identities: frames.slice(0, d),
    header: json(parts[0]),
    parentHeader: json(parts[1]),
    metadata: json(parts[2]),
    content: json(parts[3]),
    buffers: frames.slice(d + 6),
  };
}

/** A view's bytes as a Buffer without copying. */
export function asBuffer(view: ArrayBufferView | ArrayBuffer): Buffer {
  if (view instanceof ArrayBuffer) return Buffer.from(view);
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * Encode a message into signed frames; buffers are appended raw after the signed JSON parts.
 * @param key - HMAC key from the connection file.
 */
export function encodeWire(key: string, msg: Omit<WireMessage, 'buffers'> & { buffers?: (ArrayBufferView | ArrayBuffer)[] }): Buffer[] {
  const parts = [msg.header, msg.parentHeader, msg.metadata, msg.content].map((p) => Buffer.from(JSON.stringify(p), 'utf8'));
  return [...msg.identities, DELIMITER, Buffer.from(signParts(key, parts), 'utf8'), ...parts, ...(msg.buffers ?? []).map(asBuffer)];
}

/** A fresh header for a message of type `msgType` in `session`. */
export function newHeader(msgType: string, session: string, username = 'pann-aet'): MessageHeader {
  return { msg_id: randomBytes(16).toString('hex'), session, username, date: new Date().toISOString(), msg_type: msgType, version: '5.3' };
}
