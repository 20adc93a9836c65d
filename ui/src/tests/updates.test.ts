import { afterEach, beforeEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import UpdateDialog from '../components/UpdateDialog.svelte';
import UpdatePreferences from '../components/UpdatePreferences.svelte';
import { app } from '../lib/state.svelte';
import { progressText, updates } from '../lib/updates.svelte';
import type { UpdateState } from '../lib/api';
import { status } from './fixtures';

const offered: UpdateState = {
  current_version: '0.1.0',
  available: { version: '0.1.1', notes: 'Faster check-in.\nClearer sync messages.', date: '2026-11-20T09:00:00Z' },
  installed: null,
};

beforeEach(() => app.setStatus(status()));
afterEach(() => {
  clearMocks();
  app.reset();
  updates.reset();
});

test('the dialog shows the new version and its notes, installs, then offers the restart', async () => {
  const calls: string[] = [];
  mockIPC((cmd) => {
    if (!cmd.startsWith('plugin:')) calls.push(cmd);
    if (cmd === 'install_update') return { current_version: '0.1.0', available: null, installed: '0.1.1' };
  });
  updates.found(offered);
  updates.dialog = true;
  render(UpdateDialog);
  expect(screen.getByTestId('update-version').textContent).toContain('0.1.1');
  expect(screen.getByTestId('update-notes').textContent).toContain('Clearer sync messages.');
  await fireEvent.click(screen.getByTestId('update-install'));
  await waitFor(() => expect(screen.getByTestId('update-installed').textContent).toContain('0.1.1'));
  // Nothing restarts until the user says so.
  expect(calls).toEqual(['install_update']);
  await fireEvent.click(screen.getByTestId('update-restart'));
  await waitFor(() => expect(calls).toEqual(['install_update', 'restart_app']));
});

test('a refused package says why and leaves the running version alone', async () => {
  mockIPC((cmd) => {
    if (cmd === 'install_update')
      throw { kind: 'updates', message: 'The downloaded update does not carry a valid signature from ClinicDesk’s update key, so it was not installed.' };
  });
  updates.found(offered);
  render(UpdateDialog);
  await fireEvent.click(screen.getByTestId('update-install'));
  await waitFor(() => expect(screen.getByTestId('update-error').textContent).toContain('valid signature'));
  expect(screen.queryByTestId('update-installed')).toBeNull();
  expect(updates.state?.installed).toBeNull();
  expect(screen.getByTestId('update-install').hasAttribute('disabled')).toBe(false);
});

test('checking on demand says when the version is current, and administrators set the address', async () => {
  const sent: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'update_settings') return { source: null, can_change: true };
    if (cmd === 'check_for_update') return { current_version: '0.1.0', available: null, installed: null };
    if (cmd === 'set_update_source') {
      sent.push(args);
      const url = (args as { input: { url: string | null } }).input.url;
      if (url?.startsWith('http://updates')) throw { kind: 'invalid', message: 'updates must come over https://' };
      return { source: url, can_change: true };
    }
  });
  render(UpdatePreferences);
  await fireEvent.click(screen.getByTestId('update-check'));
  await waitFor(() => expect(screen.getByTestId('update-note').textContent).toBe('ClinicDesk 0.1.0 is up to date.'));
  const field = await screen.findByTestId('update-source');
  await fireEvent.input(field, { target: { value: 'http://updates.example.org/latest.json' } });
  await fireEvent.click(screen.getByTestId('update-source-save'));
  await waitFor(() => expect(screen.getByTestId('update-check-error').textContent).toContain('https://'));
  await fireEvent.input(field, { target: { value: ' https://updates.example.org/latest.json ' } });
  await fireEvent.click(screen.getByTestId('update-source-save'));
  await waitFor(() => expect(screen.getByTestId('update-note').textContent).toBe('Update address saved.'));
  expect(sent.at(-1)).toEqual({ input: { url: 'https://updates.example.org/latest.json' } });
});

test('staff who may not change the address do not see the field', async () => {
  mockIPC((cmd) => {
    if (cmd === 'update_settings') return { source: 'https://updates.example.org/latest.json', can_change: false };
  });
  render(UpdatePreferences);
  await waitFor(() => expect(screen.getByText(/Updates come from https:\/\/updates.example.org/)).toBeTruthy());
  expect(screen.queryByTestId('update-source')).toBeNull();
});

test('download progress reads in megabytes', () => {
  expect(progressText({ downloaded: 12_300_000, total: 80_100_000 })).toBe('12.3 MB of 80.1 MB');
  expect(progressText({ downloaded: 500_000, total: null })).toBe('0.5 MB');
});
