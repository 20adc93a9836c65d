import { afterEach, beforeEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Conflicts from '../screens/Conflicts.svelte';
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

test('a double booking lists both visits and closes once one is cancelled', async () => {
  let open = true;
  const first = appointment({ id: 'a1', patient_name: 'Quill, Ada' });
  const second = appointment({ id: 'a2', patient_name: 'Hopper, Grace' });
  mockIPC((cmd) => {
    if (cmd === 'sync_conflicts') {
      return open
        ? [{ id: 'c1', kind: 'double-booking', detail: 'Slot over capacity: 2 of 1 places', raised_at: 1_790_000_000, appointments: [first, second], patients: [] }]
        : [];
    }
    if (cmd === 'cancel') {
      open = false;
      return { ...second, status: 'cancelled' };
    }
  });
  render(Conflicts);
  await waitFor(() => expect(screen.getAllByTestId('conflict')).toHaveLength(1));
  expect(screen.getByText('Quill, Ada')).toBeTruthy();
  expect(screen.getByText('Hopper, Grace')).toBeTruthy();
  expect(screen.getByText('Slot over capacity: 2 of 1 places')).toBeTruthy();

  await fireEvent.click(screen.getAllByTestId('cancel-button')[1]);
  await fireEvent.input(screen.getByTestId('reason-input'), { target: { value: 'Booked twice while offline' } });
  await fireEvent.click(screen.getByTestId('reason-submit'));
  await waitFor(() => expect(screen.getByText('No conflicts to resolve.')).toBeTruthy());
});

test('patients registered under one MRN offline are listed, and one is given another MRN', async () => {
  const patient = (id: string, given: string, family: string) => ({
    id, mrn: 'M777', given_name: given, family_name: family, birth_date: '1990-01-01', sex: 'female' as const,
    phone: null, email: null, address_line: null, city: null, state: null, postal_code: null, country: null,
    active: true, coverages: [],
  });
  const ada = patient('p1', 'Ada', 'Lovelace');
  const bea = patient('p2', 'Bea', 'Byron');
  let open = true;
  const updates: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'sync_conflicts') {
      return open
        ? [{ id: 'c2', kind: 'duplicate-mrn', detail: '2 patients were registered with MRN M777 on different computers', raised_at: 1_790_000_000, appointments: [], patients: [ada, bea] }]
        : [];
    }
    if (cmd === 'update_patient') {
      updates.push((args as { input: unknown }).input);
      open = false;
      return { ...bea, mrn: 'M778' };
    }
  });
  render(Conflicts);
  await waitFor(() => expect(screen.getAllByTestId('conflict-patient')).toHaveLength(2));
  expect(screen.getByText('2 patients were registered with MRN M777 on different computers')).toBeTruthy();
  const [, second] = screen.getAllByTestId('conflict-patient');
  expect(second.textContent).toContain('Byron, Bea');
  expect(second.textContent).toContain('MRN M777');
  // Nothing typed: said plainly, nothing sent.
  await fireEvent.click(screen.getAllByText('Give this MRN')[1]);
  await waitFor(() => expect(screen.getByTestId('error-message').textContent).toBe('Type the new MRN for Byron, Bea.'));
  expect(updates).toEqual([]);
  await fireEvent.input(screen.getByLabelText('New MRN', { selector: '#mrn-p2' }), { target: { value: 'm778' } });
  await fireEvent.click(screen.getAllByText('Give this MRN')[1]);
  await waitFor(() => expect(screen.getByText('No conflicts to resolve.')).toBeTruthy());
  expect(updates).toEqual([{ id: 'p2', patient: {
    mrn: 'm778', given_name: 'Bea', family_name: 'Byron', birth_date: '1990-01-01', sex: 'female', phone: null, email: null,
    address_line: null, city: null, state: null, postal_code: null, country: null,
  } }]);
});
