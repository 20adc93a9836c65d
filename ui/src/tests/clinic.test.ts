import { afterEach, beforeEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import ClinicPreferences from '../components/ClinicPreferences.svelte';
import { app } from '../lib/state.svelte';
import { status } from './fixtures';

beforeEach(() => app.setStatus(status()));
afterEach(() => {
  clearMocks();
  app.reset();
});

test('an administrator renames the clinic; only what changed is sent', async () => {
  const sent: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'clinic_settings') return { name: 'Maple Street Clinic', timezone: 'America/New_York', can_change: true };
    if (cmd === 'set_clinic_settings') {
      sent.push((args as { input: unknown }).input);
      return { name: 'Maple Street Health', timezone: 'America/New_York', can_change: true };
    }
    if (cmd === 'app_status') return status({ clinic_name: 'Maple Street Health' });
  });
  render(ClinicPreferences);
  const name = (await screen.findByTestId('clinic-settings-name')) as HTMLInputElement;
  expect(name.value).toBe('Maple Street Clinic');
  await fireEvent.input(name, { target: { value: 'Maple Street Health' } });
  await fireEvent.click(screen.getByTestId('clinic-save'));
  await waitFor(() => expect(screen.getByTestId('clinic-note').textContent).toContain('other desktops'));
  expect(sent).toEqual([{ name: 'Maple Street Health', timezone: null }]);
  await waitFor(() => expect(app.status?.clinic_name).toBe('Maple Street Health'));
});

test('an unknown time zone is refused with the reason, and others only read', async () => {
  mockIPC((cmd) => {
    if (cmd === 'clinic_settings') return { name: 'Maple Street Clinic', timezone: 'America/New_York', can_change: true };
    if (cmd === 'set_clinic_settings')
      throw { kind: 'invalid', message: "'Mars/Base' is not a time zone ClinicDesk knows. Choose one from the list, such as America/New_York." };
  });
  render(ClinicPreferences);
  const zone = (await screen.findByTestId('clinic-settings-zone')) as HTMLInputElement;
  await fireEvent.input(zone, { target: { value: 'Mars/Base' } });
  await fireEvent.click(screen.getByTestId('clinic-save'));
  await waitFor(() => expect(screen.getByTestId('clinic-error').textContent).toContain('Mars/Base'));
  clearMocks();

  mockIPC((cmd) => {
    if (cmd === 'clinic_settings') return { name: 'Maple Street Clinic', timezone: 'America/New_York', can_change: false };
  });
  const other = render(ClinicPreferences);
  await waitFor(() => expect(other.container.textContent).toContain('An administrator can change them'));
  expect(other.container.querySelector('[data-testid="clinic-settings-name"]')).toBeNull();
});
