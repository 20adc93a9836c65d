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
        ? [{ id: 'c1', kind: 'double-booking', detail: 'Slot over capacity: 2 of 1 places', raised_at: 1_790_000_000, appointments: [first, second] }]
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
  await waitFor(() => expect(screen.getByText('No double bookings to resolve.')).toBeTruthy());
});
