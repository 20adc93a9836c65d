import { afterEach, expect, test, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { tick } from 'svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import NoteEditor from '../components/NoteEditor.svelte';
import { app } from '../lib/state.svelte';
import { directory, status } from './fixtures';

afterEach(() => {
  vi.useRealTimers();
  clearMocks();
  app.reset();
});

function savedNote(content: Record<string, string>) {
  return {
    id: 'n-1', encounter_id: 'e-1', patient_id: 'pt-1', author_id: 'u-1', format: 'soap',
    content: { subjective: '', objective: '', assessment: '', plan: '', body: '', ...content },
    status: 'draft', created_at: 1795444200, updated_at: 1795448520, // 10:42 in New York
    signed_at: null, signed_by: null, signed_by_name: null, author_name: "Dr Hale", content_hash: null, addenda: [],
  };
}

test('autosaves a second after typing stops and says when it saved', async () => {
  vi.useFakeTimers();
  const saves: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'save_draft') {
      saves.push(args);
      return savedNote((args as { input: { content: Record<string, string> } }).input.content);
    }
  });
  app.directory = directory;
  app.setStatus(status());
  render(NoteEditor, { encounterId: 'e-1', note: null, format: 'soap' });

  expect(screen.getByTestId('note-subjective')).toBeTruthy();
  expect(screen.getByTestId('note-plan')).toBeTruthy();
  await fireEvent.input(screen.getByTestId('note-subjective'), { target: { value: 'Cough for 3 days' } });
  expect(screen.getByTestId('save-state').textContent).toBe('Unsaved changes');

  await vi.advanceTimersByTimeAsync(900);
  expect(saves).toHaveLength(0);
  await vi.advanceTimersByTimeAsync(200);
  await tick();
  expect(saves).toEqual([{
    input: { encounter_id: 'e-1', note_id: null, format: 'soap',
      content: { subjective: 'Cough for 3 days', objective: '', assessment: '', plan: '', body: '' } },
  }]);
  expect(screen.getByTestId('save-state').textContent).toBe('Saved at 10:42');

  // The next save updates the same note.
  await fireEvent.input(screen.getByTestId('note-plan'), { target: { value: 'Fluids' } });
  await vi.advanceTimersByTimeAsync(1000);
  await tick();
  expect((saves[1] as { input: { note_id: string } }).input.note_id).toBe('n-1');
});

test('bullets format has one body field; a failed save says why', async () => {
  vi.useFakeTimers();
  mockIPC((cmd) => {
    if (cmd === 'save_draft') throw { kind: 'denied', message: 'Only the note’s author can change it.' };
  });
  app.setStatus(status());
  render(NoteEditor, { encounterId: 'e-1', note: null, format: 'bullets' });
  expect(screen.queryByTestId('note-subjective')).toBeNull();
  await fireEvent.input(screen.getByTestId('note-body'), { target: { value: '- cough' } });
  await vi.advanceTimersByTimeAsync(1000);
  await tick();
  expect(screen.getByTestId('save-state').textContent).toBe('Not saved: Only the note’s author can change it.');
});
