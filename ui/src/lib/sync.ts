import type { SyncStatus } from './api';
import { ago } from './format';

/** The sync state in plain words for the status bar. */
export function syncText(s: SyncStatus | null, nowMs: number = Date.now(), zone?: string | null): string {
  if (!s) return 'Checking the connection…';
  if (!s.enrolled) return 'Not connected to a clinic server (this desktop works on its own)';
  const waiting = `${s.queued} ${s.queued === 1 ? 'change' : 'changes'} waiting`;
  if (s.online === false) return `Offline — ${waiting}; they will be sent when the network returns`;
  const last = s.last_success_at ? `last synced ${ago(s.last_success_at, nowMs, zone)}` : 'not synced yet';
  if (s.online === null) return `Connecting to the clinic server… ${s.queued ? `${waiting}, ` : ''}${last}`;
  return `Online — ${s.queued ? `${waiting}, ` : 'all changes sent, '}${last}`;
}

export function syncTone(s: SyncStatus | null): 'ok' | 'warn' | 'off' {
  if (!s || !s.enrolled) return 'off';
  if (s.online === false || s.conflicts > 0) return 'warn';
  return s.online ? 'ok' : 'off';
}
