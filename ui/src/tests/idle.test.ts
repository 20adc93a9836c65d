import { afterEach, expect, test, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/svelte';
import { tick } from 'svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { IdleTracker } from '../lib/idle';
import { app } from '../lib/state.svelte';
import App from '../App.svelte';
import { status } from './fixtures';

afterEach(() => {
  vi.useRealTimers();
  clearMocks();
  app.reset();
});

test('locks after the configured minutes without activity; activity postpones it', () => {
  vi.useFakeTimers();
  const lock = vi.fn();
  const ping = vi.fn();
  const t = new IdleTracker({ minutes: () => 2, ping, lock });
  t.start();
  vi.advanceTimersByTime(90_000);
  window.dispatchEvent(new KeyboardEvent('keydown', { key: 'a' }));
  vi.advanceTimersByTime(90_000);
  expect(lock).not.toHaveBeenCalled();
  vi.advanceTimersByTime(31_000);
  expect(lock).toHaveBeenCalledTimes(1);
  t.stop();
});

test('tells the core about activity at most every 30 s', () => {
  vi.useFakeTimers();
  const ping = vi.fn();
  const t = new IdleTracker({ minutes: () => 5, ping, lock: () => {} });
  t.start();
  for (let i = 0; i < 10; i++) {
    window.dispatchEvent(new MouseEvent('mousemove'));
    vi.advanceTimersByTime(2_000);
  }
  expect(ping).toHaveBeenCalledTimes(1);
  vi.advanceTimersByTime(15_000);
  window.dispatchEvent(new MouseEvent('mousedown'));
  expect(ping).toHaveBeenCalledTimes(2);
  t.stop();
});

test('the app calls lock after the user’s idle minutes and shows the lock screen', async () => {
  vi.useFakeTimers();
  const commands: string[] = [];
  let phase: 'unlocked' | 'locked' = 'unlocked';
  let lockArgs: unknown = null;
  mockIPC((cmd, args) => {
    commands.push(cmd);
    if (cmd === 'lock') lockArgs = args;
    switch (cmd) {
      case 'app_status': return phase === 'unlocked' ? status({ idle_lock_minutes: 1, home: 'flow-board' }) : status({ phase: 'locked', session: null });
      case 'lock': phase = 'locked'; return status({ phase: 'locked', session: null });
      case 'directory': return { providers: [], locations: [], rooms: [], appointment_types: [] };
      case 'flow_board': return [];
      case 'sync_status': return { enrolled: false, server: null, online: null, queued: 0, last_success_at: null, last_attempt_at: null, last_error: null, conflicts: 0 };
      default: return null;
    }
  });
  render(App);
  await vi.advanceTimersByTimeAsync(10);
  await tick();
  expect(screen.getByTestId('status-bar')).toBeTruthy();
  expect(screen.getByTestId('status-sync').textContent).toContain('Not connected to a clinic server');
  expect(commands).not.toContain('lock');

  await vi.advanceTimersByTimeAsync(59_000);
  expect(commands).not.toContain('lock');
  await vi.advanceTimersByTimeAsync(2_000);
  expect(commands).toContain('lock');
  expect(lockArgs).toEqual({ input: { idle: true } });
  vi.useRealTimers();
  await waitFor(() => expect(screen.getByTestId('lock-screen')).toBeTruthy());
});
