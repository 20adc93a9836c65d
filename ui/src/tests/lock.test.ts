import { afterEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Lock from '../screens/Lock.svelte';
import { app } from '../lib/state.svelte';
import { status } from './fixtures';

afterEach(() => {
  clearMocks();
  app.reset();
});

test('a wrong password shows the core’s message, and Enter submits', async () => {
  const calls: unknown[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === 'login') throw { kind: 'bad-login', message: 'The user name or password is not correct.' };
  });
  app.setStatus(status({ phase: 'locked', session: null }));
  render(Lock);
  expect(screen.getByRole('heading', { name: 'Maple Street Clinic' })).toBeTruthy();

  await fireEvent.input(screen.getByTestId('login-username'), { target: { value: 'dana' } });
  await fireEvent.input(screen.getByTestId('login-password'), { target: { value: 'wrong password!' } });
  // Enter in the password field submits the form.
  await fireEvent.submit(screen.getByTestId('login-password').closest('form')!);

  await waitFor(() => expect(screen.getByTestId('login-error').textContent).toBe('The user name or password is not correct.'));
  expect(calls).toContainEqual({ cmd: 'login', args: { input: { username: 'dana', password: 'wrong password!', store_passphrase: null } } });
  expect((screen.getByTestId('login-password') as HTMLInputElement).value).toBe('');
  expect(app.status?.phase).toBe('locked');
});

test('a right password unlocks', async () => {
  mockIPC((cmd) => {
    if (cmd === 'login') return status();
    if (cmd === 'directory') return { providers: [], locations: [], rooms: [], appointment_types: [] };
  });
  app.setStatus(status({ phase: 'locked', session: null }));
  render(Lock);
  await fireEvent.input(screen.getByTestId('login-username'), { target: { value: 'dana' } });
  await fireEvent.input(screen.getByTestId('login-password'), { target: { value: 'correct horse battery' } });
  await fireEvent.click(screen.getByTestId('login-submit'));
  await waitFor(() => expect(app.status?.phase).toBe('unlocked'));
  expect(app.route.name).toBe('calendar');
});

test('a key-file store asks for its passphrase too, and sends it', async () => {
  const calls: unknown[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === 'login') throw { kind: 'key', message: 'The passphrase does not unlock the key file.' };
  });
  app.setStatus(status({ phase: 'locked', session: null, store_passphrase_needed: true }));
  render(Lock);
  await fireEvent.input(screen.getByTestId('login-username'), { target: { value: 'dana' } });
  await fireEvent.input(screen.getByTestId('login-password'), { target: { value: 'correct horse battery' } });
  await fireEvent.click(screen.getByTestId('login-submit'));
  expect(screen.getByTestId('login-error').textContent).toBe('Please enter the store passphrase as well.');
  expect(calls).toEqual([]);
  await fireEvent.input(screen.getByTestId('login-password'), { target: { value: 'correct horse battery' } });
  await fireEvent.input(screen.getByTestId('login-store-passphrase'), { target: { value: 'not it at all' } });
  await fireEvent.click(screen.getByTestId('login-submit'));
  await waitFor(() => expect(screen.getByTestId('login-error').textContent).toBe('The passphrase does not unlock the key file.'));
  expect(calls).toContainEqual({
    cmd: 'login',
    args: { input: { username: 'dana', password: 'correct horse battery', store_passphrase: 'not it at all' } },
  });
  expect((screen.getByTestId('login-store-passphrase') as HTMLInputElement).value).toBe('');
});
