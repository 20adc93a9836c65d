// Events the core emits: `store-changed` after any write or sync merge, and
// `demo-progress` while the demo clinic fills.
import { listen } from '@tauri-apps/api/event';
import type { DemoProgress } from './api';

export interface StoreChanged { source: 'local' | 'sync' }

function subscribe<T>(event: string, cb: (payload: T) => void): () => void {
  let stop: (() => void) | null = null;
  let cancelled = false;
  try {
    listen<T>(event, (e) => cb(e.payload))
      .then((un) => {
        if (cancelled) un();
        else stop = un;
      })
      .catch(() => {});
  } catch {
    /* outside Tauri (tests without event mocks): nothing to listen to */
  }
  return () => {
    cancelled = true;
    try {
      const r = stop?.() as unknown;
      if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(() => {});
    } catch {
      /* already gone */
    }
  };
}

export const onStoreChanged = (cb: (p: StoreChanged) => void) => subscribe<StoreChanged>('store-changed', cb);
export const onDemoProgress = (cb: (p: DemoProgress) => void) => subscribe<DemoProgress>('demo-progress', cb);
