/** Small DOM helpers. Text is only ever set through textContent: no payload string is parsed as HTML. */

/** Create an element with a class and optional text (set as text, never as HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A labelled control: `<label>text <control></label>`. */
export function labelled(text: string, control: HTMLElement, cls = 'pann-control'): HTMLLabelElement {
  const l = el('label', cls);
  l.appendChild(document.createTextNode(text + ' '));
  l.appendChild(control);
  return l;
}

/** A range input. */
export function slider(min: number, max: number, step: number, value: number, cls?: string): HTMLInputElement {
  const s = el('input', cls);
  s.type = 'range';
  s.min = String(min);
  s.max = String(max);
  s.step = String(step);
  s.value = String(value);
  return s;
}

/** A number input. */
export function numberInput(value: number, step: number, cls?: string): HTMLInputElement {
  const s = el('input', cls);
  s.type = 'number';
  s.step = String(step);
  s.value = String(value);
  return s;
}

/** A select with plain-text options. */
export function select(options: string[], value: string, cls?: string): HTMLSelectElement {
  const s = el('select', cls);
  for (const o of options) {
    const opt = el('option', undefined, o);
    opt.value = o;
    s.appendChild(opt);
  }
  s.value = value;
  return s;
}

/** Offer a Blob as a download with the given file name. */
export function download(blob: Blob, fileName: string): void {
  const a = el('a');
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

/** A round number of Å for a scale bar close to `targetA`. */
export function niceLengthA(targetA: number): number {
  const p = Math.pow(10, Math.floor(Math.log10(targetA)));
  for (const m of [5, 2, 1]) if (m * p <= targetA) return m * p;
  return p;
}

/** Call `fn` at most every `ms` milliseconds, always with the latest arguments (trailing call guaranteed). */
export function throttle<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let args: A | undefined;
  return (...a: A) => {
    args = a;
    const wait = ms - (Date.now() - last);
    if (wait <= 0) {
      last = Date.now();
      fn(...a);
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        fn(...(args as A));
      }, wait);
    }
  };
}
