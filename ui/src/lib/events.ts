// Events the core emits: `store-changed` after any write, sync merge or
// insurance check answer,
// `demo-progress` while the demo clinic fills, `update-available` when the
// background check finds a new version and `update-progress` while one
// downloads, `scribe` as a dictation records and is transcribed,
// `image-import` as images are imported or retrieved from the PACS.
import { listen } from '@tauri-apps/api/event';
import type { DemoProgress, ImportUpdate, ScribeUpdate, UpdateProgress, UpdateState } from './api';

export interface StoreChanged { source: 'local' | 'sync' | 'clearinghouse' }

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
export const onUpdateAvailable = (cb: (p: UpdateState) => void) => subscribe<UpdateState>('update-available', cb);
export const onUpdateProgress = (cb: (p: UpdateProgress) => void) => subscribe<UpdateProgress>('update-progress', cb);
export const onScribe = (cb: (p: ScribeUpdate) => void) => subscribe<ScribeUpdate>('scribe', cb);
export const onImageImport = (cb: (p: ImportUpdate) => void) => subscribe<ImportUpdate>('image-import', cb);
