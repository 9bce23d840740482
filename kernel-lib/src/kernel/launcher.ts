/**
 * The pann-aet kernel: tslab (pinned 1.0.22) plus Jupyter comms.
 *
 * tslab has no comm support (yunabe/tslab#23): its shell loop answers comm_info_request with the wrong reply
 * type and drops comm_open / comm_msg / comm_close. Rather than fork tslab, this launcher wraps two methods of
 * its ZmqServer before starting it:
 * - `init`, to capture the server (its iopub socket and HMAC key) once the sockets are bound;
 * - `handleShellMessage`, to answer comm_* and comm_info_request itself (with buffers, signed per the spec)
 *   and to remember the header of each execute_request, the parent of messages sent while a cell runs.
 * Everything else goes to tslab unchanged.
 */
import { commManager, type CommBuffer } from './comm';
import { encodeWire, newHeader, parseWire, peekMsgType, type MessageHeader } from './wire';

/** The tslab version the wrapped methods were written against. */
export const TSLAB_VERSION = '1.0.22';

/** Shape of tslab's ZmqServer that the launcher relies on. */
interface TslabServer {
  connInfo: { key: string; signature_scheme?: string };
  iopub: { send(frames: Buffer[]): Promise<void> };
  init(): Promise<void>;
  handleShellMessage(sock: { send(frames: Buffer[]): Promise<void> }, ...frames: Buffer[]): Promise<void>;
}

const COMM_TYPES = new Set(['comm_open', 'comm_msg', 'comm_close', 'comm_info_request']);

/** State shared by the wrapped methods of one server. */
class KernelState {
  /** Parent of messages the kernel sends on its own: the execute_request running now or last. */
  parent: Partial<MessageHeader> = {};
  session = newHeader('status', 'pann-aet').msg_id;

  constructor(readonly server: TslabServer) {}

  send(sock: { send(frames: Buffer[]): Promise<void> }, frames: Buffer[]): void {
    sock.send(frames).catch((e: unknown) => console.error('pann-aet kernel: send failed:', e));
  }

  publish(msgType: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}, buffers: CommBuffer[] = [], parent = this.parent): void {
    const header = newHeader(msgType, this.session);
    const topic = Buffer.from(`kernel.${this.session}.${msgType}`);
    this.send(this.server.iopub, encodeWire(this.server.connInfo.key, { identities: [topic], header, parentHeader: parent, metadata, content, buffers }));
  }
}

/**
 * Patch tslab's ZmqServer class so that every server it creates handles comms. Idempotent.
 * @param jupyterModule - tslab's `dist/jupyter` module (defaults to the pinned tslab this package depends on).
 */
export function patchTslab(jupyterModule: { ZmqServer: { prototype: TslabServer } } = require('tslab/dist/jupyter')): void {
  const proto = jupyterModule.ZmqServer.prototype as TslabServer & { __pannPatched?: boolean };
  if (proto.__pannPatched) return;
  proto.__pannPatched = true;
  const states = new WeakMap<TslabServer, KernelState>();
  const stateOf = (s: TslabServer): KernelState => {
    let st = states.get(s);
    if (!st) states.set(s, (st = new KernelState(s)));
    return st;
  };
  const originalInit = proto.init;
  const originalHandle = proto.handleShellMessage;

  proto.init = async function (this: TslabServer): Promise<void> {
    await originalInit.call(this);
    const st = stateOf(this);
    commManager().attach({ publish: (t, c, m, b) => st.publish(t, c, m, b) });
  };

  proto.handleShellMessage = async function (this: TslabServer, sock, ...frames: Buffer[]): Promise<void> {
    const type = peekMsgType(frames);
    const st = stateOf(this);
    if (!type || !COMM_TYPES.has(type)) {
      if (type === 'execute_request') {
        try {
          st.parent = parseWire(this.connInfo.key, frames).header;
        } catch {
          // tslab reports the bad message itself.
        }
      }
      return originalHandle.call(this, sock, ...frames);
    }
    let msg;
    try {
      msg = parseWire(this.connInfo.key, frames);
    } catch (e) {
      console.error('pann-aet kernel: dropped a comm message:', (e as Error).message);
      return;
    }
    st.publish('status', { execution_state: 'busy' }, {}, [], msg.header);
    try {
      if (type === 'comm_info_request') {
        const target = typeof msg.content.target_name === 'string' ? msg.content.target_name : undefined;
        const reply = newHeader('comm_info_reply', msg.header.session);
        st.send(sock, encodeWire(this.connInfo.key, { identities: msg.identities, header: reply, parentHeader: msg.header, metadata: {}, content: { status: 'ok', comms: commManager().info(target) } }));
      } else {
        // Replies a handler sends (e.g. widget state) have this comm message as parent.
        const saved = st.parent;
        st.parent = msg.header;
        try {
          commManager().receive(type, msg.content, msg.metadata, msg.buffers);
        } catch (e) {
          console.error(`pann-aet kernel: ${type} handler failed:`, e);
        } finally {
          st.parent = saved;
        }
      }
    } finally {
      st.publish('status', { execution_state: 'idle' }, {}, [], msg.header);
    }
  };
}

/**
 * Start the pann-aet kernel on a Jupyter connection file.
 * @param configPath - the `{connection_file}` Jupyter passes to the kernelspec argv.
 */
export function startKernel(configPath: string): void {
  const tslabVersion = (require('tslab/package.json') as { version: string }).version;
  if (tslabVersion !== TSLAB_VERSION) {
    console.warn(`pann-aet kernel: written against tslab ${TSLAB_VERSION}, found ${tslabVersion}`);
  }
  patchTslab();
  const { startKernel: startTslab } = require('tslab/dist/main') as { startKernel(o: { configPath: string; enableFindLocal?: boolean; jsKernel?: boolean; globalVersion?: string }): void };
  // enableFindLocal would load another (unpatched) tslab from the notebook's folder.
  startTslab({ configPath, enableFindLocal: false, jsKernel: false, globalVersion: tslabVersion });
}
