// What the app knows about updates: the version running, one found by the
// last check, one installed and waiting for a restart. The status bar,
// Preferences and the update dialog share it.
import { api, type UpdateProgress, type UpdateState } from './api';

class Updates {
  state = $state<UpdateState | null>(null);
  /** The dialog is open (the status-bar button or Preferences opened it). */
  dialog = $state(false);
  progress = $state<UpdateProgress | null>(null);
  busy = $state<'checking' | 'installing' | null>(null);

  async load(): Promise<void> {
    this.state = await api.updateState();
  }

  /** Asks the update server; the caller shows a refusal's sentence. */
  async check(): Promise<UpdateState> {
    this.busy = 'checking';
    try {
      this.state = await api.checkForUpdate();
      return this.state;
    } finally {
      this.busy = null;
    }
  }

  async install(): Promise<void> {
    this.busy = 'installing';
    this.progress = { downloaded: 0, total: null };
    try {
      this.state = await api.installUpdate();
    } finally {
      this.busy = null;
      this.progress = null;
    }
  }

  found(state: UpdateState): void {
    this.state = state;
  }

  reset(): void {
    this.state = null;
    this.dialog = false;
    this.progress = null;
    this.busy = null;
  }
}

export const updates = new Updates();

/** "12.3 MB of 80.1 MB" for the progress bar's label. */
export function progressText(p: UpdateProgress): string {
  const mb = (n: number) => `${(n / 1_000_000).toFixed(1)} MB`;
  return p.total ? `${mb(p.downloaded)} of ${mb(p.total)}` : mb(p.downloaded);
}
