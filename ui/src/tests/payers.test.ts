import { afterEach, beforeEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import PayerPreferences from '../components/PayerPreferences.svelte';
import { app } from '../lib/state.svelte';
import type { PayerSettings, PayerSettingsInput } from '../lib/api';
import { status } from './fixtures';

beforeEach(() => app.setStatus(status({
  session: { user_id: 'u', username: 'admin', display_name: 'Avery Admin', role: 'admin', provider_id: null },
})));
afterEach(() => {
  clearMocks();
  app.reset();
});

const core = {
  name: 'Harbour Hub', endpoint: 'https://core.example.org/', sender_id: 'CLINIC01', receiver_id: 'HUB', username: 'clinic',
  payer_ids: [], timeout_secs: 30, test: false, transport: { kind: 'core' as const }, has_password: true, has_sftp_secret: false,
};

function settings(over: Partial<PayerSettings> = {}): PayerSettings {
  return { billing: { organization_name: 'Harbour Family Practice', npi: '1234567893', tax_id: null }, connections: [core], can_change: true, ...over };
}

test('an administrator sends a connection\'s claims to its SFTP drop', async () => {
  const saved: PayerSettingsInput[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'payer_settings') return settings();
    if (cmd === 'set_payer_settings') {
      const input = (args as { input: PayerSettingsInput }).input;
      saved.push(input);
      return settings({ connections: [{ ...core, transport: input.connections[0].transport, has_sftp_secret: true }] });
    }
  });
  render(PayerPreferences);
  await waitFor(() => expect(screen.getByTestId('payer-transport')).toBeTruthy());
  expect(screen.queryByTestId('payer-sftp')).toBeNull();
  await fireEvent.change(screen.getByTestId('payer-transport'), { target: { value: 'sftp' } });
  await fireEvent.input(screen.getByLabelText('SFTP host'), { target: { value: 'sftp.hub.example' } });
  await fireEvent.input(screen.getByLabelText('Port'), { target: { value: '2222' } });
  await fireEvent.input(screen.getByLabelText('SFTP user name'), { target: { value: 'harbour' } });
  await fireEvent.input(screen.getByLabelText('SFTP password or key passphrase'), { target: { value: 'drop-secret' } });
  await fireEvent.input(screen.getByLabelText('Folder for claims (outbound)'), { target: { value: '/to-hub' } });
  await fireEvent.input(screen.getByLabelText('Folder for replies (inbound)'), { target: { value: '/from-hub' } });
  await fireEvent.input(screen.getByLabelText(/Host key fingerprint/), { target: { value: `SHA256:${'A'.repeat(43)}` } });
  await fireEvent.click(screen.getByTestId('payer-save'));
  await waitFor(() => expect(screen.getByTestId('payer-note').textContent).toBe('Insurance settings saved.'));
  expect(saved).toHaveLength(1);
  const c = saved[0].connections[0];
  expect(c.transport).toEqual({
    kind: 'sftp', host: 'sftp.hub.example', port: 2222, username: 'harbour', private_key: null,
    outbound_dir: '/to-hub', inbound_dir: '/from-hub', host_key_sha256: `SHA256:${'A'.repeat(43)}`,
  });
  expect(c.sftp_secret).toBe('drop-secret');
  // The CORE password was stored already and is not sent again.
  expect(c.password).toBeNull();
  // Saved: the drop shows as it is, its password as stored.
  expect(screen.getByLabelText('SFTP password or key passphrase (stored; type to replace)')).toBeTruthy();
  expect((screen.getByLabelText('SFTP host') as HTMLInputElement).value).toBe('sftp.hub.example');
});

test('back to CORE, the drop and its password are not sent', async () => {
  const drop = { kind: 'sftp' as const, host: 'h', port: 22, username: 'u', private_key: '/keys/hub', outbound_dir: '/o', inbound_dir: '/i', host_key_sha256: 'SHA256:x' };
  const saved: PayerSettingsInput[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'payer_settings') return settings({ connections: [{ ...core, transport: drop }] });
    if (cmd === 'set_payer_settings') {
      saved.push((args as { input: PayerSettingsInput }).input);
      return settings();
    }
  });
  render(PayerPreferences);
  await waitFor(() => expect(screen.getByTestId('payer-sftp')).toBeTruthy());
  expect((screen.getByLabelText(/Private key file/) as HTMLInputElement).value).toBe('/keys/hub');
  await fireEvent.change(screen.getByTestId('payer-transport'), { target: { value: 'core' } });
  expect(screen.queryByTestId('payer-sftp')).toBeNull();
  await fireEvent.click(screen.getByTestId('payer-save'));
  await waitFor(() => expect(saved).toHaveLength(1));
  expect(saved[0].connections[0].transport).toEqual({ kind: 'core' });
  expect(saved[0].connections[0].sftp_secret).toBeNull();
});

test('others see how claims and checks travel, not the form', async () => {
  app.setStatus(status());
  mockIPC((cmd) => (cmd === 'payer_settings' ? settings({ can_change: false }) : undefined));
  render(PayerPreferences);
  await waitFor(() => expect(screen.getByTestId('payer-preferences').textContent).toContain('Coverage is verified through Harbour Hub'));
  expect(screen.queryByTestId('payer-save')).toBeNull();
});
