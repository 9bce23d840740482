/**
 * Kernel side of an ipywidgets-protocol (2.1.0) widget whose model and view live in the `@pann-aet/jupyterlab`
 * extension. State syncs both ways over a `jupyter.widget` comm; typed arrays travel as binary buffers.
 * Outside a pann-aet kernel (plain Node, tests) nothing is sent and the widget keeps its state locally.
 */
import { inspect } from 'util';
import { commManager, type Comm, type CommMessage } from '../kernel/comm';

/** npm name of the frontend module that holds the models and views. */
export const FRONTEND_MODULE = '@pann-aet/jupyterlab';
/** Semver range of the frontend module these payloads are written for. */
export const FRONTEND_VERSION = '^0.1.0';
/** ipywidgets message protocol version. */
export const WIDGET_PROTOCOL_VERSION = '2.1.0';
/** MIME type of a widget view in a display_data. */
export const WIDGET_VIEW_MIME = 'application/vnd.jupyter.widget-view+json';

/** Options shared by every view factory. */
export interface ViewOptions {
  /** Display the view in the running cell at once (default true). */
  display?: boolean;
}

type Binary = Float32Array | Float64Array | Uint8Array | Int32Array | Uint32Array;
type Listener = (value: unknown, old: unknown) => void;

function isBinary(v: unknown): v is Binary {
  return ArrayBuffer.isView(v) && !(v instanceof DataView);
}

/** Base class of the pann-aet widgets. */
export class PannWidget {
  /** The widget's comm (its id is the model id). */
  readonly comm: Comm;
  protected readonly state: Record<string, unknown>;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Keys of the last updates that came from the frontend, newest last (bounded, for diagnostics). */
  readonly changeLog: string[] = [];

  /**
   * @param modelName - frontend model class, e.g. 'SlicerModel'.
   * @param viewName - frontend view class, e.g. 'SlicerView'.
   * @param state - initial state; typed arrays are sent as buffers.
   */
  constructor(modelName: string, viewName: string, state: Record<string, unknown>) {
    this.state = {
      _model_name: modelName,
      _model_module: FRONTEND_MODULE,
      _model_module_version: FRONTEND_VERSION,
      _view_name: viewName,
      _view_module: FRONTEND_MODULE,
      _view_module_version: FRONTEND_VERSION,
      _view_count: null,
      _dom_classes: [],
      tabbable: null,
      tooltip: null,
      ...state,
    };
    const { json, paths, buffers } = PannWidget.split(this.state);
    this.comm = commManager().open('jupyter.widget', { state: json, buffer_paths: paths }, { version: WIDGET_PROTOCOL_VERSION }, buffers);
    this.comm.onMsg((m) => this.onFrontendMessage(m));
  }

  /** The model id the frontend knows this widget by. */
  get modelId(): string {
    return this.comm.commId;
  }

  /** Split state into JSON, buffer paths and buffers (top-level typed arrays only). */
  private static split(state: Record<string, unknown>): { json: Record<string, unknown>; paths: string[][]; buffers: Binary[] } {
    const json: Record<string, unknown> = {};
    const paths: string[][] = [];
    const buffers: Binary[] = [];
    for (const [k, v] of Object.entries(state)) {
      if (isBinary(v)) {
        paths.push([k]);
        buffers.push(v);
      } else json[k] = v;
    }
    return { json, paths, buffers };
  }

  /** Read one state value. */
  get(key: string): unknown {
    return this.state[key];
  }

  /**
   * Set state values and send them to the frontend in one 'update'.
   * @param partial - keys to change; typed arrays travel as binary buffers.
   */
  set(partial: Record<string, unknown>): void {
    const changed: [string, unknown, unknown][] = [];
    for (const [k, v] of Object.entries(partial)) {
      changed.push([k, v, this.state[k]]);
      this.state[k] = v;
    }
    const { json, paths, buffers } = PannWidget.split(partial);
    if (!this.comm.closed) this.comm.send({ method: 'update', state: json, buffer_paths: paths }, buffers);
    for (const [k, v, old] of changed) this.emit(k, v, old);
  }

  /**
   * Call `handler(value, old)` whenever `key` changes (from either side).
   * @returns a function that removes the handler.
   */
  observe<T = unknown>(key: string, handler: (value: T, old: T) => void): () => void {
    let set = this.listeners.get(key);
    if (!set) this.listeners.set(key, (set = new Set()));
    const h = handler as Listener;
    set.add(h);
    return () => set!.delete(h);
  }

  private emit(key: string, value: unknown, old: unknown): void {
    for (const h of this.listeners.get(key) ?? []) {
      try {
        h(value, old);
      } catch (e) {
        console.error(`pann-aet widget: handler of '${key}' failed:`, e);
      }
    }
  }

  private onFrontendMessage(m: CommMessage): void {
    const method = m.data.method;
    if (method === 'update' || method === 'echo_update') {
      if (method === 'echo_update') return; // our own change echoed back: nothing new
      const state = { ...((m.data.state as Record<string, unknown>) ?? {}) };
      const paths = (m.data.buffer_paths as string[][]) ?? [];
      paths.forEach((p, i) => {
        if (p.length === 1 && m.buffers[i]) state[p[0]] = m.buffers[i];
      });
      for (const [k, v] of Object.entries(state)) {
        const old = this.state[k];
        this.state[k] = v;
        this.changeLog.push(k);
        if (this.changeLog.length > 100) this.changeLog.shift();
        this.emit(k, v, old);
      }
    } else if (method === 'request_state') {
      const { json, paths, buffers } = PannWidget.split(this.state);
      this.comm.send({ method: 'update', state: json, buffer_paths: paths }, buffers);
    } else if (method === 'custom') {
      this.emit('custom', m.data.content, undefined);
    }
  }

  /** Text shown where no widget renderer exists (and for `console.log(widget)`). */
  describe(): string {
    return `${String(this.state._model_name).replace(/Model$/, '')}()`;
  }

  /** Static fallback images for the display bundle (base64 PNG), or undefined. */
  protected fallbackPng(): string | undefined {
    return undefined;
  }

  /** Display the widget in the running cell: widget view + PNG fallback + text. */
  display(): this {
    const data: Record<string, unknown> = {
      [WIDGET_VIEW_MIME]: { version_major: 2, version_minor: 1, model_id: this.modelId },
      'text/plain': this.describe(),
    };
    const png = this.fallbackPng();
    if (png) data['image/png'] = png;
    commManager().display(data);
    return this;
  }

  /** Close the widget (the frontend removes its views). */
  close(): void {
    this.comm.close();
  }

  [inspect.custom](): string {
    return this.describe();
  }
}
