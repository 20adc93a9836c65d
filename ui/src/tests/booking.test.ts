import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import BookingDialog from '../components/BookingDialog.svelte';
import { app } from '../lib/state.svelte';
import { slotTarget } from '../lib/booking';
import { appointment, directory, slot, status } from './fixtures';

const patients = [
  { id: 'pt-1', mrn: 'M0001', given_name: 'Ada', family_name: 'Lovelace', birth_date: '1815-12-10', sex: 'female', phone: null },
  { id: 'pt-2', mrn: 'M0002', given_name: 'Adam', family_name: 'Lovell', birth_date: '1990-02-01', sex: 'male', phone: '555-0102' },
];

beforeEach(() => {
  app.directory = directory;
  app.setStatus(status());
  app.locationId = 'l-1';
  app.date = '2026-11-23';
});

afterEach(() => {
  clearMocks();
  app.reset();
});

test('searches patients as you type and books the chosen slot', async () => {
  const calls: { cmd: string; args: unknown }[] = [];
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    if (cmd === 'search_patients') return patients;
    if (cmd === 'book') return appointment({ patient_id: 'pt-2', patient_name: 'Lovell, Adam' });
  });
  const ondone = vi.fn();
  render(BookingDialog, { props: { target: slotTarget(slot, 'Dr Ana Ruiz'), onclose: () => {}, ondone } });

  expect(screen.getByTestId('booking-dialog').getAttribute('aria-modal')).toBe('true');
  expect(screen.getByTestId('booking-dialog').textContent).toContain('09:30–10:00');
  // The slot's own type is preselected.
  expect((screen.getByTestId('booking-type') as HTMLSelectElement).value).toBe('t-2');

  const search = screen.getByTestId('patient-search');
  await fireEvent.input(search, { target: { value: 'Lov' } });
  await waitFor(() => expect(screen.getAllByTestId('patient-result')).toHaveLength(2));
  expect(calls.filter((c) => c.cmd === 'search_patients')).toEqual([{ cmd: 'search_patients', args: { input: { query: 'Lov', limit: 25 } } }]);

  // Arrow down to the second result, Enter picks it.
  await fireEvent.keyDown(search, { key: 'ArrowDown' });
  expect(screen.getAllByTestId('patient-result')[1].getAttribute('aria-selected')).toBe('true');
  await fireEvent.keyDown(search, { key: 'Enter' });
  expect(screen.getByTestId('booking-dialog').textContent).toContain('Lovell, Adam');

  await fireEvent.input(screen.getByTestId('booking-reason'), { target: { value: 'Knee pain' } });
  await fireEvent.click(screen.getByTestId('booking-submit'));

  await waitFor(() => expect(ondone).toHaveBeenCalled());
  expect(calls.find((c) => c.cmd === 'book')?.args).toEqual({
    input: { patient_id: 'pt-2', slot_id: 's-1', appointment_type_id: 't-2', reason: 'Knee pain', overbook_reason: null },
  });
});

test('a full slot shows the core’s message and offers an overbook with a reason', async () => {
  const books: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'search_patients') return patients;
    if (cmd === 'book') {
      books.push(args);
      if (!(args as { input: { overbook_reason: string | null } }).input.overbook_reason)
        throw { kind: 'conflict', message: 'The 09:30 slot is full (1 of 1 booked).' };
      return appointment();
    }
  });
  const ondone = vi.fn();
  render(BookingDialog, { props: { target: slotTarget(slot), onclose: () => {}, ondone } });
  await fireEvent.input(screen.getByTestId('patient-search'), { target: { value: 'Ada' } });
  await waitFor(() => screen.getAllByTestId('patient-result'));
  await fireEvent.click(screen.getAllByTestId('patient-result')[0]);
  await fireEvent.click(screen.getByTestId('booking-submit'));

  await waitFor(() => expect(screen.getByTestId('booking-error').textContent).toBe('The 09:30 slot is full (1 of 1 booked).'));
  await fireEvent.click(screen.getByTestId('overbook-submit'));
  expect(screen.getByTestId('booking-error').textContent).toContain('why');
  await fireEvent.input(screen.getByTestId('overbook-reason'), { target: { value: 'Urgent, doctor agreed' } });
  await fireEvent.click(screen.getByTestId('overbook-submit'));
  await waitFor(() => expect(ondone).toHaveBeenCalled());
  expect(books[books.length - 1]).toEqual({
    input: { patient_id: 'pt-1', slot_id: 's-1', appointment_type_id: 't-2', reason: null, overbook_reason: 'Urgent, doctor agreed' },
  });
});
