// The app's shared state: the core's status, the clinic directory, the current
// screen, and the toasts. Errors pass through `errorText`, which also notices
// when the core has locked the session.
import { api, AppError, type AppStatus, type Directory, type Home } from './api';
import { applyPreferences } from './theme';
import { todayIn } from './format';

export type ScreenName = 'calendar' | 'flow-board' | 'my-day' | 'audit' | 'users' | 'preferences' | 'encounter' | 'conflicts' | 'billing' | 'images';
/** `mrn`: the images screen opens on that patient's studies. */
export interface Route { name: ScreenName; appointmentId?: string; from?: ScreenName; mrn?: string }

export interface Toast { id: number; text: string; kind: 'info' | 'error' }

export interface NavItem { name: Exclude<ScreenName, 'encounter' | 'conflicts'>; label: string }

const LABELS: Record<NavItem['name'], string> = {
  calendar: 'Calendar', 'flow-board': 'Flow board', 'my-day': 'My day', audit: 'Audit', users: 'Users', preferences: 'Preferences',
  billing: 'Billing', images: 'Images',
};

export function navFor(status: AppStatus | null): NavItem[] {
  const role = status?.session?.role;
  let names: NavItem['name'][];
  switch (role) {
    case 'front-desk': names = ['calendar', 'flow-board']; break;
    case 'physician': case 'nurse': names = ['my-day', 'flow-board']; break;
    case 'admin': names = ['audit', 'users', 'calendar', 'flow-board']; break;
    case 'biller': names = ['billing', 'flow-board']; break;
    default: names = [];
  }
  if ((status?.can.view_images || status?.can.import_images) && !names.includes('images')) names.push('images');
  if (status?.can.read_audit && !names.includes('audit')) names.push('audit');
  if (status?.can.manage_users && !names.includes('users')) names.push('users');
  names.push('preferences');
  return names.map((name) => ({ name, label: LABELS[name] }));
}

class AppState {
  status = $state<AppStatus | null>(null);
  bootError = $state<string | null>(null);
  directory = $state<Directory | null>(null);
  route = $state<Route>({ name: 'calendar' });
  toasts = $state<Toast[]>([]);
  /** Shared between the calendar and the flow board. */
  date = $state<string>('');
  locationId = $state<string | null>(null);
  /** Set by the / and Ctrl+K shortcuts; the calendar opens the booking dialog. */
  bookingRequest = $state(0);
  /** Runs before the app locks itself (e.g. saving a draft). */
  beforeLock = new Set<() => Promise<unknown> | void>();
  private lastUser: string | null = null;
  private toastSeq = 0;

  get zone(): string | null {
    if (this.status?.clinic_timezone && !this.locationId) return this.status.clinic_timezone;
    const locs = this.directory?.locations ?? [];
    const loc = locs.find((l) => l.id === this.locationId) ?? locs.find((l) => l.active) ?? locs[0];
    return loc?.timezone ?? null;
  }

  today(): string {
    return todayIn(this.zone);
  }

  get unlocked(): boolean {
    return this.status?.phase === 'unlocked';
  }

  setStatus(s: AppStatus): void {
    const user = s.session?.user_id ?? null;
    const wasUnlocked = this.status?.phase === 'unlocked';
    this.status = s;
    applyPreferences(s.preferences);
    if (s.phase === 'unlocked') {
      // The same person unlocking again goes back to where they were.
      if (user !== this.lastUser || (!wasUnlocked && !this.lastUser)) this.goHome(s.home);
      this.lastUser = user;
      if (!this.directory) void this.loadDirectory();
    }
  }

  goHome(home: Home | null | undefined = this.status?.home): void {
    const allowed = navFor(this.status).map((n) => n.name as string);
    let name = (home ?? 'calendar') as ScreenName;
    if (!allowed.includes(name)) name = (allowed[0] as ScreenName) ?? 'preferences';
    this.route = { name };
  }

  go(route: Route): void {
    this.route = route;
  }

  async loadDirectory(): Promise<void> {
    try {
      const d = await api.directory();
      if (!d || !Array.isArray(d.locations)) return;
      this.directory = d;
      if (!this.locationId || !d.locations.some((l) => l.id === this.locationId)) {
        this.locationId = d.locations.find((l) => l.active)?.id ?? d.locations[0]?.id ?? null;
      }
      if (!this.date) this.date = this.today();
    } catch (e) {
      this.toast(this.errorText(e), 'error');
    }
  }

  async refresh(): Promise<void> {
    try {
      const s = await api.appStatus();
      this.bootError = null;
      this.setStatus(s);
    } catch (e) {
      if (!this.status) this.bootError = e instanceof Error ? e.message : 'ClinicDesk could not start.';
    }
  }

  /** The user pressed Lock or was idle: save what can be saved, then lock. */
  async lock(idle = false): Promise<void> {
    for (const hook of [...this.beforeLock]) {
      try {
        await hook();
      } catch {
        /* a draft that cannot be saved stays on screen after unlocking */
      }
    }
    try {
      this.setStatus(await api.lock(idle));
    } catch {
      this.markLocked();
      void this.refresh();
    }
  }

  /** The core refused a command because the session is locked. */
  markLocked(): void {
    if (this.status && this.status.phase === 'unlocked') {
      this.status = { ...this.status, phase: 'locked', session: null };
    }
  }

  /** A plain sentence for a failure; goes to the lock screen when the core locked. */
  errorText(e: unknown): string {
    if (e instanceof AppError) {
      if (e.kind === 'locked') {
        this.markLocked();
        void this.refresh();
      }
      return e.message;
    }
    if (e instanceof Error && e.message) return 'Something went wrong. Please try again.';
    return typeof e === 'string' ? e : 'Something went wrong. Please try again.';
  }

  toast(text: string, kind: Toast['kind'] = 'info'): void {
    const id = ++this.toastSeq;
    this.toasts = [...this.toasts, { id, text, kind }];
    setTimeout(() => this.dismiss(id), kind === 'error' ? 8000 : 4000);
  }

  dismiss(id: number): void {
    this.toasts = this.toasts.filter((t) => t.id !== id);
  }

  /** For tests: back to a blank state. */
  reset(): void {
    this.status = null;
    this.directory = null;
    this.route = { name: 'calendar' };
    this.toasts = [];
    this.date = '';
    this.locationId = null;
    this.lastUser = null;
    this.beforeLock.clear();
  }
}

export const app = new AppState();
