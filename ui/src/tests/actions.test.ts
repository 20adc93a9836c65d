import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import AppointmentActions from '../components/AppointmentActions.svelte';
import { app } from '../lib/state.svelte';
import { appointment, directory, status } from './fixtures';

beforeEach(() => {
  app.directory = directory;
  app.setStatus(status());
});
afterEach(() => {
  clearMocks();
  app.reset();
});

test('cancel needs a reason and sends it', async () => {
  const calls: unknown[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === 'cancel') return appointment({ status: 'cancelled' });
  });
  const onchanged = vi.fn();
  render(AppointmentActions, { props: { appointment: appointment(), onchanged } });
  await fireEvent.click(screen.getByTestId('cancel-button'));
  await fireEvent.click(screen.getByTestId('reason-submit'));
  expect(screen.getByTestId('error-message').textContent).toBe('Please give a reason.');
  await fireEvent.input(screen.getByTestId('reason-input'), { target: { value: 'Patient is travelling' } });
  await fireEvent.click(screen.getByTestId('reason-submit'));
  await waitFor(() => expect(onchanged).toHaveBeenCalled());
  expect(calls).toContainEqual({ cmd: 'cancel', args: { input: { id: 'a-1', reason: 'Patient is travelling' } } });
  expect(screen.queryByTestId('reason-dialog')).toBeNull();
});

test('a refused transition shows the core’s sentence', async () => {
  mockIPC((cmd) => {
    if (cmd === 'set_status') throw { kind: 'transition', message: 'A cancelled appointment cannot be confirmed.' };
  });
  render(AppointmentActions, { props: { appointment: appointment() } });
  await fireEvent.click(screen.getByTestId('confirm-button'));
  await waitFor(() => expect(app.toasts.map((t) => t.text)).toContain('A cancelled appointment cannot be confirmed.'));
});

test('actions this role may not do are hidden', () => {
  app.setStatus(status({ can: { ...status().can, book: false, check_in: false } }));
  render(AppointmentActions, { props: { appointment: appointment() } });
  expect(screen.queryByTestId('cancel-button')).toBeNull();
  expect(screen.queryByTestId('check-in-button')).toBeNull();
  expect(screen.queryByTestId('reschedule-button')).toBeNull();
});
