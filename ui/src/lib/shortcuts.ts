// Keyboard shortcuts. One listener on the window dispatches to the bindings
// that screens register; plain keys never fire while someone types in a field.

export interface Binding {
  /** "Alt+1", "Ctrl+k", "/", "n", "?", "[", "Escape" (case-insensitive for letters). */
  key: string;
  run: (e: KeyboardEvent) => void;
  /** Shown in the help dialog. */
  label?: string;
  /** Still fires while a dialog is open (Ctrl+L lock, Ctrl+S save). */
  global?: boolean;
}

export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || !(target as Element).tagName) return false;
  const el = target as HTMLElement;
  const tag = el.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') {
    const type = ((el as HTMLInputElement).type || 'text').toLowerCase();
    return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file'].includes(type);
  }
  return el.isContentEditable === true;
}

/** The normalized name of a key event: "Ctrl+Shift+k", "Alt+1", "/", "?". */
export function keyName(e: KeyboardEvent): string {
  const parts: string[] = [];
  if (e.ctrlKey || e.metaKey) parts.push('Ctrl');
  if (e.altKey) parts.push('Alt');
  let key = e.key;
  // Alt+digit produces other characters on some layouts; use the physical key.
  if (e.altKey && /^Digit\d$/.test(e.code)) key = e.code.slice(5);
  if (key.length === 1) key = key.toLowerCase();
  // Shift is implied by printable characters such as "?" and must not be named.
  if (e.shiftKey && key.length > 1 && key !== 'Shift') parts.push('Shift');
  parts.push(key);
  return parts.join('+');
}

function normalize(spec: string): string {
  const parts = spec.split('+');
  const key = parts.pop() ?? '';
  const mods = parts.map((p) => (p.toLowerCase() === 'meta' ? 'Ctrl' : p[0].toUpperCase() + p.slice(1).toLowerCase()));
  const order = ['Ctrl', 'Alt', 'Shift'];
  mods.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return [...mods, key.length === 1 ? key.toLowerCase() : key].join('+');
}

export function hasModifier(spec: string): boolean {
  return /^(ctrl|alt|meta)\+/i.test(spec);
}

/** Runs the first matching binding (newest first). Returns true when one ran. */
export function dispatch(e: KeyboardEvent, bindings: Binding[], dialogOpen = false): boolean {
  if (e.defaultPrevented || e.isComposing) return false;
  const name = keyName(e);
  const typing = isTypingTarget(e.target);
  for (let i = bindings.length - 1; i >= 0; i--) {
    const b = bindings[i];
    const spec = normalize(b.key);
    if (spec !== name) continue;
    const modified = hasModifier(spec) || spec === 'Escape';
    if (typing && !modified) continue;
    if (dialogOpen && !b.global) continue;
    e.preventDefault();
    b.run(e);
    return true;
  }
  return false;
}

/** A registry of bindings; components add theirs while mounted. */
export class ShortcutRegistry {
  private bindings: Binding[] = [];
  add(...bs: Binding[]): () => void {
    this.bindings.push(...bs);
    return () => {
      this.bindings = this.bindings.filter((b) => !bs.includes(b));
    };
  }
  list(): Binding[] {
    return [...this.bindings];
  }
  handle(e: KeyboardEvent): boolean {
    const dialogOpen = typeof document !== 'undefined' && !!document.querySelector('[aria-modal="true"]');
    return dispatch(e, this.bindings, dialogOpen);
  }
}

export const shortcuts = new ShortcutRegistry();
