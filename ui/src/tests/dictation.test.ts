import { afterEach, beforeEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import DictationPanel from '../components/DictationPanel.svelte';
import { app } from '../lib/state.svelte';
import type { Dictation, DictationDraft, ScribeUpdate } from '../lib/api';
import { status } from './fixtures';

beforeEach(() => app.setStatus(status()));
afterEach(() => {
  clearMocks();
  app.reset();
});

const done: Dictation = {
  id: 'd-1', encounter_id: 'e-1', patient_id: 'pt-1', recorded_by: 'u-1', source: 'file', file_name: 'visit.m4a',
  state: 'done', started_at: 1795444200, finished_at: 1795444300, duration_secs: 42, error: null, note_id: null,
  audio_removed_at: null, audio_secs: 42, segments: [], transcript: 'Hypertension is well controlled. Continue lisinopril 10 mg daily.',
};

function update(over: Partial<ScribeUpdate>): ScribeUpdate {
  return {
    dictation_id: 'd-2', encounter_id: 'e-1', source: 'microphone', file_name: null, phase: 'recording',
    audio_secs: 0, progress: null, text: '', error: null, ...over,
  };
}

const drafted: DictationDraft = {
  note: {
    id: 'n-1', encounter_id: 'e-1', patient_id: 'pt-1', author_id: 'u-1', format: 'soap',
    content: { subjective: '', objective: '', assessment: 'Problems:\n1. Hypertension — I10', plan: '', body: '' },
    status: 'draft', author_name: 'Dr Hale', created_at: 1, updated_at: 2, signed_at: null, signed_by: null,
    signed_by_name: null, content_hash: null, addenda: [],
  },
  problems: [{ phrase: 'hypertension', searched: 'hypertension', candidates: [
    { code: 'I10', description: 'Essential (primary) hypertension' },
    { code: 'I159', description: 'Secondary hypertension, unspecified' },
  ] }],
  medications: [{ name: 'Lisinopril', said: null, dose: '10 mg', route: null, frequency: 'daily', action: 'continue' }],
  code_set_loaded: true, drug_names_loaded: true,
};

test('records with the microphone, shows the text as it arrives, and stops', async () => {
  const calls: string[] = [];
  mockIPC((cmd) => {
    if (!cmd.startsWith('plugin:')) calls.push(cmd);
    if (cmd === 'scribe_status') return { microphone: true, model: '/m/ggml-tiny.en.bin', model_problem: null, active: null };
    if (cmd === 'dictations') return [];
    if (cmd === 'record_dictation') return update({});
  }, { shouldMockEvents: true });
  render(DictationPanel, { encounterId: 'e-1', currentNoteId: async () => null, ondrafted: () => {} });
  await waitFor(() => expect((screen.getByTestId('scribe-record') as HTMLButtonElement).disabled).toBe(false));
  await fireEvent.click(screen.getByTestId('scribe-record'));
  await waitFor(() => expect(screen.getByTestId('scribe-live').textContent).toContain('Recording · 0:00'));

  await emit('scribe', update({ audio_secs: 75, text: 'The patient reports a cough.' }));
  await waitFor(() => expect(screen.getByTestId('scribe-text').textContent).toBe('The patient reports a cough.'));
  expect(screen.getByTestId('scribe-live').textContent).toContain('1:15');

  await fireEvent.click(screen.getByTestId('scribe-stop'));
  await emit('scribe', update({ phase: 'transcribing', progress: 0.5, audio_secs: 75, text: 'The patient reports a cough.' }));
  await waitFor(() => expect(screen.getByTestId('scribe-progress').getAttribute('aria-valuenow')).toBe('50'));
  expect(calls).toContain('stop_dictation');
});

test('without a microphone or a model it says so and what to do', async () => {
  mockIPC((cmd) => {
    if (cmd === 'scribe_status') return { microphone: false, model: null, model_problem: 'No speech model is installed on this computer.', active: null };
    if (cmd === 'dictations') return [];
  });
  render(DictationPanel, { encounterId: 'e-1', currentNoteId: async () => null, ondrafted: () => {} });
  await waitFor(() => expect(screen.getByTestId('scribe-model-problem').textContent).toContain('No speech model'));
  expect((screen.getByTestId('scribe-record') as HTMLButtonElement).disabled).toBe(true);
  expect((screen.getByTestId('scribe-import') as HTMLButtonElement).disabled).toBe(true);
  expect(screen.getByText(/No microphone found/)).toBeTruthy();
});

test('drafts the note from a finished dictation and lists codes and medications', async () => {
  const drafts: unknown[] = [];
  let got: DictationDraft | null = null;
  mockIPC((cmd, args) => {
    if (cmd === 'scribe_status') return { microphone: false, model: '/m/x.bin', model_problem: null, active: null };
    if (cmd === 'dictations') return [done];
    if (cmd === 'draft_from_dictation') { drafts.push(args); return drafted; }
  });
  render(DictationPanel, { encounterId: 'e-1', currentNoteId: async () => 'n-1', ondrafted: (d: DictationDraft) => (got = d) });
  await waitFor(() => expect(screen.getByTestId('dictation-item').textContent).toContain('visit.m4a'));
  expect(screen.getByTestId('dictation-item').textContent).toContain('Ready to draft');
  await fireEvent.click(screen.getByTestId('draft-from-dictation'));
  await waitFor(() => expect(screen.getByTestId('draft-suggestions')).toBeTruthy());
  expect(drafts).toEqual([{ input: { dictation_id: 'd-1', note_id: 'n-1' } }]);
  expect(got).toEqual(drafted);
  expect(screen.getByTestId('draft-problem').textContent).toContain('I10 Essential (primary) hypertension');
  expect(screen.getByTestId('draft-problem').textContent).toContain('I15.9');
  expect(screen.getByTestId('draft-medication').textContent).toContain('Lisinopril 10 mg daily — continue');
});

test('a failed transcription shows why and offers to try again', async () => {
  const calls: string[] = [];
  mockIPC((cmd) => {
    if (!cmd.startsWith('plugin:')) calls.push(cmd);
    if (cmd === 'scribe_status') return { microphone: false, model: '/m/x.bin', model_problem: null, active: null };
    if (cmd === 'dictations') return [{ ...done, state: 'interrupted', transcript: '', error: null }];
    if (cmd === 'retry_dictation') return update({ phase: 'transcribing', progress: 0, source: 'file', file_name: 'visit.m4a' });
  });
  render(DictationPanel, { encounterId: 'e-1', currentNoteId: async () => null, ondrafted: () => {} });
  await waitFor(() => expect(screen.getByTestId('dictation-item').textContent).toContain('Interrupted'));
  await fireEvent.click(screen.getByText('Transcribe again'));
  await waitFor(() => expect(screen.getByTestId('scribe-live').textContent).toContain('Transcribing visit.m4a… 0%'));
  expect(calls).toContain('retry_dictation');
});

test('administrators choose how long dictation audio is kept', async () => {
  const { default: DictationPreferences } = await import('../components/DictationPreferences.svelte');
  const saved: unknown[] = [];
  let asked = false;
  mockIPC((cmd, args) => {
    if (cmd === 'audio_retention') { asked = true; return { policy: 'on-sign' }; }
    if (cmd === 'set_audio_retention') { saved.push(args); return (args as { input: { retention: unknown } }).input.retention; }
  });
  render(DictationPreferences);
  const days = screen.getByTestId('retention-days') as HTMLInputElement;
  await waitFor(() => expect(asked).toBe(true));
  await new Promise((r) => setTimeout(r, 0));
  expect(days.disabled).toBe(true);
  await fireEvent.click(screen.getByTestId('retention-after-days'));
  await fireEvent.input(days, { target: { value: '14' } });
  await fireEvent.click(screen.getByTestId('retention-save'));
  await waitFor(() => expect(saved).toEqual([{ input: { retention: { policy: 'days-after-sign', days: 14 } } }]));
  expect(screen.getByRole('status').textContent).toContain('Saved');
});
