import { afterEach, describe, expect, test } from 'vitest';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { api, AppError, call } from '../lib/api';
import { app } from '../lib/state.svelte';
import { status } from './fixtures';

afterEach(() => {
  clearMocks();
  app.reset();
});

describe('call', () => {
  test('a refused command becomes an AppError with the core’s kind and sentence', async () => {
    mockIPC(() => {
      throw { kind: 'conflict', message: 'The 09:30 slot is full (1 of 1 booked).' };
    });
    const err = (await call('book', {}).catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.kind).toBe('conflict');
    expect(err.message).toBe('The 09:30 slot is full (1 of 1 booked).');
  });

  test('a bare string rejection is kept as an internal error', async () => {
    mockIPC(() => Promise.reject('disk full'));
    const err = (await call('x').catch((e: unknown) => e)) as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err.kind).toBe('internal');
    expect(err.message).toBe('disk full');
  });

  test('arguments are sent as the core expects', async () => {
    let seen: unknown = null;
    mockIPC((cmd, args) => {
      seen = { cmd, args };
      return [];
    });
    await api.dayBoard('2026-11-23', 'l-1');
    expect(seen).toEqual({ cmd: 'day_board', args: { input: { date: '2026-11-23', location_id: 'l-1' } } });
  });
});

describe('a locked core', () => {
  test('errorText sends the app to the lock screen', async () => {
    mockIPC((cmd) => {
      if (cmd === 'app_status') return status({ phase: 'locked', session: null });
      throw { kind: 'locked', message: 'The session is locked. Please sign in again.' };
    });
    app.setStatus(status());
    const err = await api.flowBoard(null, null).catch((e: AppError) => e);
    expect(app.errorText(err)).toBe('The session is locked. Please sign in again.');
    expect(app.status?.phase).toBe('locked');
  });
});
