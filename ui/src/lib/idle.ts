// Idle lock: watches keyboard, mouse and touch activity, tells the core the
// user is active at most every 30 s, and locks after the configured minutes.

export interface IdleOptions {
  /** Minutes without activity before locking (read on every check). */
  minutes: () => number;
  /** Tells the core the user is active. */
  ping: () => void | Promise<unknown>;
  /** Locks the session. */
  lock: () => void | Promise<unknown>;
  target?: EventTarget;
  pingEveryMs?: number;
  checkEveryMs?: number;
}

export const ACTIVITY_EVENTS = ['keydown', 'mousedown', 'mousemove', 'wheel', 'touchstart', 'pointerdown'] as const;

export class IdleTracker {
  private last = Date.now();
  private lastPing = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private locked = false;
  private readonly onActivity = () => this.activity();

  constructor(private opts: IdleOptions) {}

  start(): void {
    this.stop();
    this.last = Date.now();
    this.locked = false;
    const target = this.opts.target ?? window;
    for (const ev of ACTIVITY_EVENTS) target.addEventListener(ev, this.onActivity, { passive: true, capture: true });
    this.timer = setInterval(() => this.check(), this.opts.checkEveryMs ?? 1000);
  }

  stop(): void {
    const target = this.opts.target ?? window;
    for (const ev of ACTIVITY_EVENTS) target.removeEventListener(ev, this.onActivity, { capture: true });
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  activity(): void {
    const now = Date.now();
    this.last = now;
    if (now - this.lastPing >= (this.opts.pingEveryMs ?? 30_000)) {
      this.lastPing = now;
      try {
        void Promise.resolve(this.opts.ping()).catch(() => {});
      } catch {
        /* the core will lock us if it has to */
      }
    }
  }

  check(): void {
    if (this.locked) return;
    const minutes = Math.max(1, this.opts.minutes() || 5);
    if (Date.now() - this.last >= minutes * 60_000) {
      this.locked = true;
      this.stop();
      void Promise.resolve(this.opts.lock()).catch(() => {});
    }
  }
}
