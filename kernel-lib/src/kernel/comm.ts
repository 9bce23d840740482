/**
 * Jupyter comms (messaging spec "Custom messages"): both directions, with binary buffers.
 * One process-wide CommManager lives on `globalThis` so that the kernel launcher and the copy of this module
 * loaded by notebook cells (tslab runs cells with `vm.runInThisContext`) share the same comms.
 */
import { randomBytes } from 'crypto';
import { PannError } from '../core/errors';

/** Binary payloads travel as raw frames after the JSON parts. */
export type CommBuffer = ArrayBufferView | ArrayBuffer;

/** Where the manager publishes messages (the kernel's iopub socket, or a test double). */
export interface KernelChannel {
  /**
   * Publish one iopub message (comm_open, comm_msg, comm_close, display_data, update_display_data, ...).
   * @param msgType - Jupyter msg_type.
   * @param content - JSON content.
   * @param metadata - JSON metadata.
   * @param buffers - raw binary frames.
   */
  publish(msgType: string, content: Record<string, unknown>, metadata?: Record<string, unknown>, buffers?: CommBuffer[]): void;
}

/** A message delivered to a comm: its JSON data and raw buffers (as DataViews, as ipywidgets does). */
export interface CommMessage {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  buffers: DataView[];
}

/** One end of a comm. */
export class Comm {
  private msgHandlers: ((m: CommMessage) => void)[] = [];
  private closeHandlers: ((m: CommMessage) => void)[] = [];
  private isClosed = false;

  /** @internal created by CommManager only */
  constructor(
    readonly commId: string,
    readonly targetName: string,
    private readonly manager: CommManager,
  ) {}

  /** True once either side closed the comm. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Send a comm_msg to the other side.
   * @param data - JSON data.
   * @param buffers - binary frames (sent raw, not base64).
   */
  send(data: Record<string, unknown>, buffers: CommBuffer[] = [], metadata: Record<string, unknown> = {}): void {
    if (this.isClosed) throw new PannError('STATE', `comm ${this.commId} (${this.targetName}) is closed`);
    this.manager.publish('comm_msg', { comm_id: this.commId, data }, metadata, buffers);
  }

  /** Close the comm (sends comm_close unless the other side closed it). */
  close(data: Record<string, unknown> = {}): void {
    if (this.isClosed) return;
    this.manager.publish('comm_close', { comm_id: this.commId, data }, {}, []);
    this.manager.forget(this.commId);
    this.isClosed = true;
  }

  /** Register a handler for comm_msg from the other side. */
  onMsg(handler: (m: CommMessage) => void): void {
    this.msgHandlers.push(handler);
  }

  /** Register a handler for comm_close from the other side. */
  onClose(handler: (m: CommMessage) => void): void {
    this.closeHandlers.push(handler);
  }

  /** @internal */
  deliver(m: CommMessage): void {
    for (const h of this.msgHandlers) h(m);
  }

  /** @internal */
  deliverClose(m: CommMessage): void {
    this.isClosed = true;
    for (const h of this.closeHandlers) h(m);
  }
}

/** Called when the frontend opens a comm to a registered target. */
export type CommTargetHandler = (comm: Comm, open: CommMessage) => void;

function toDataViews(buffers: CommBuffer[]): DataView[] {
  return buffers.map((b) => (b instanceof ArrayBuffer ? new DataView(b) : new DataView(b.buffer, b.byteOffset, b.byteLength)));
}

/** All comms of this kernel process. */
export class CommManager {
  private comms = new Map<string, Comm>();
  private targets = new Map<string, CommTargetHandler>();
  private channel: KernelChannel | undefined;
  /** Attach the channel messages go out on (the launcher does this once the sockets are bound). */
  attach(channel: KernelChannel): void {
    this.channel = channel;
  }

  /** True when a kernel channel is attached (code runs inside the pann-aet kernel). */
  get attached(): boolean {
    return this.channel !== undefined;
  }

  /**
   * @internal Outside a pann-aet kernel (plain Node, tests) there is no frontend: messages are dropped and
   * widgets keep working on their local state.
   */
  publish(...args: Parameters<KernelChannel['publish']>): void {
    this.channel?.publish(...args);
  }

  /** Publish a display_data (or update_display_data) message on iopub. */
  display(data: Record<string, unknown>, metadata: Record<string, unknown> = {}, displayId?: string, update = false): void {
    const content: Record<string, unknown> = { data, metadata, transient: displayId ? { display_id: displayId } : {} };
    this.publish(update ? 'update_display_data' : 'display_data', content, {}, []);
  }

  /**
   * Open a comm from the kernel side.
   * @param targetName - the frontend target, e.g. 'jupyter.widget'.
   * @param data - JSON data of comm_open.
   * @param buffers - binary frames of comm_open.
   */
  open(targetName: string, data: Record<string, unknown>, metadata: Record<string, unknown> = {}, buffers: CommBuffer[] = []): Comm {
    const id = randomBytes(16).toString('hex');
    const comm = new Comm(id, targetName, this);
    this.comms.set(id, comm);
    this.publish('comm_open', { comm_id: id, target_name: targetName, data }, metadata, buffers);
    return comm;
  }

  /** Handle comm opens from the frontend for `targetName`. */
  registerTarget(targetName: string, handler: CommTargetHandler): void {
    this.targets.set(targetName, handler);
  }

  /** The comms open now, optionally only those of one target (the comm_info_reply `comms` field). */
  info(targetName?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const [id, c] of this.comms) if (!targetName || c.targetName === targetName) out[id] = { target_name: c.targetName };
    return out;
  }

  /** The comm with this id, if open. */
  get(commId: string): Comm | undefined {
    return this.comms.get(commId);
  }

  /** @internal */
  forget(commId: string): void {
    this.comms.delete(commId);
  }

  /**
   * Dispatch a comm message received on the shell channel.
   * @param msgType - comm_open, comm_msg or comm_close.
   * @param content - the message content.
   * @param buffers - raw buffers of the message.
   */
  receive(msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown>, buffers: CommBuffer[]): void {
    const commId = String(content.comm_id ?? '');
    const m: CommMessage = { data: (content.data as Record<string, unknown>) ?? {}, metadata, buffers: toDataViews(buffers) };
    if (msgType === 'comm_open') {
      const targetName = String(content.target_name ?? '');
      const handler = this.targets.get(targetName);
      const comm = new Comm(commId, targetName, this);
      if (!handler) {
        // As ipykernel: an unknown target is refused by closing the comm at once.
        this.publish('comm_close', { comm_id: commId, data: {} }, {}, []);
        return;
      }
      this.comms.set(commId, comm);
      handler(comm, m);
    } else if (msgType === 'comm_msg') {
      this.comms.get(commId)?.deliver(m);
    } else if (msgType === 'comm_close') {
      const comm = this.comms.get(commId);
      this.comms.delete(commId);
      comm?.deliverClose(m);
    }
  }
}

const KEY = Symbol.for('pann-aet.commManager');

/** The process-wide comm manager (created on first use). */
export function commManager(): CommManager {
  const g = globalThis as unknown as Record<symbol, CommManager | undefined>;
  if (!g[KEY]) g[KEY] = new CommManager();
  return g[KEY]!;
}
