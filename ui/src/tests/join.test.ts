import { afterEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import FirstRun from '../screens/FirstRun.svelte';
import Lock from '../screens/Lock.svelte';
import { app } from '../lib/state.svelte';
import { status } from './fixtures';

afterEach(() => {
  clearMocks();
  app.reset();
});

async function fillJoin(code = 'K7QP-M2XD-9TRW-4HCF') {
  await fireEvent.click(screen.getByTestId('first-run-join'));
  await fireEvent.input(screen.getByTestId('join-url'), { target: { value: 'https://clinic-server:8443' } });
  await fireEvent.input(screen.getByTestId('join-code'), { target: { value: code } });
  await fireEvent.input(screen.getByTestId('join-device'), { target: { value: 'Front desk 2' } });
  await fireEvent.input(screen.getByTestId('join-clinic-name'), { target: { value: 'Harbour Family Practice' } });
}

test('a new computer joins the clinic server with a code and lands on sign-in', async () => {
  const calls: { cmd: string; args: unknown }[] = [];
  const joined = status({ phase: 'locked', session: null, clinic_name: 'Harbour Family Practice' });
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === 'join_clinic') return joined;
  });
  app.setStatus(status({ phase: 'first-run', session: null, clinic_name: null }));
  render(FirstRun);
  await fillJoin('k7qp m2xd 9trw 4hcf');
  await fireEvent.click(screen.getByTestId('join-submit'));
  await waitFor(() => expect(app.status?.phase).toBe('locked'));
  const join = calls.find((c) => c.cmd === 'join_clinic');
  expect(join?.args).toEqual({
    input: {
      server_url: 'https://clinic-server:8443', code: 'k7qp m2xd 9trw 4hcf', device_name: 'Front desk 2',
      clinic_name: 'Harbour Family Practice', time_zone: expect.any(String),
    },
  });
});

test('the form names what is missing before asking the server', async () => {
  const calls: string[] = [];
  mockIPC((cmd) => { calls.push(cmd); });
  app.setStatus(status({ phase: 'first-run', session: null }));
  render(FirstRun);
  await fillJoin('K7QP-M2XD');
  await fireEvent.click(screen.getByTestId('join-submit'));
  expect(screen.getByTestId('join-error').textContent).toContain('16-character enrollment code');
  await fireEvent.input(screen.getByTestId('join-url'), { target: { value: 'http://clinic-server' } });
  await fireEvent.click(screen.getByTestId('join-submit'));
  expect(screen.getByTestId('join-error').textContent).toContain('starting with https://');
  expect(calls).not.toContain('join_clinic');
});

test('a refused code is said plainly and the computer stays unjoined', async () => {
  mockIPC((cmd) => {
    if (cmd === 'join_clinic') throw { kind: 'sync', message: 'This computer could not join the clinic: the clinic server refused: this enrollment code is not valid, already used or expired.' };
    if (cmd === 'app_status') return status({ phase: 'first-run', session: null });
  });
  app.setStatus(status({ phase: 'first-run', session: null }));
  render(FirstRun);
  await fillJoin();
  await fireEvent.click(screen.getByTestId('join-submit'));
  await waitFor(() => expect(screen.getByTestId('join-error').textContent).toContain('could not join the clinic'));
  expect(app.status?.phase).toBe('first-run');
  await waitFor(() => expect((screen.getByTestId('join-submit') as HTMLButtonElement).disabled).toBe(false));
});

test('until the clinic’s accounts arrive, the lock screen says so', () => {
  app.setStatus(status({ phase: 'locked', session: null, awaiting_accounts: true }));
  render(Lock);
  expect(screen.getByTestId('awaiting-accounts').textContent).toContain('receiving the clinic’s accounts');
  expect(screen.queryByTestId('lock-reason')).toBeNull();
});
