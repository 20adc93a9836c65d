import { afterEach, beforeEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import Billing from '../screens/Billing.svelte';
import { app, navFor } from '../lib/state.svelte';
import type { BillingOverview, ClaimRow } from '../lib/api';
import { status } from './fixtures';
import { replyState } from '../lib/claims';

const noFollowUp = { first_ask_after_days: 14, ask_again_after_days: 7, last: null, due: 0 };

const biller = () => status({
  session: { user_id: 'u', username: 'bill', display_name: 'Bea Biller', role: 'biller', provider_id: null },
  home: 'billing',
});

beforeEach(() => app.setStatus(biller()));
afterEach(() => {
  clearMocks();
  app.reset();
});

function claimRow(over: Partial<ClaimRow> = {}): ClaimRow {
  return {
    id: 'c1', encounter_id: 'e1', patient_id: 'p1', coverage_id: 'cv1', provider_id: 'pr1', service_date: '2026-11-20',
    diagnoses: ['J209'], lines: [{ code: '99213', modifiers: [], units: 1, charge_cents: 12500, pointers: [1] }],
    total_charge_cents: 12500, status: 'draft', status_detail: null, batch_id: null, submitted_at: null,
    payer_claim_number: null, paid_cents: 0, adjusted_cents: 0, patient_resp_cents: 0, created_at: 1, created_by: 'Bea',
    patient_name: 'Quill, Ada', payer_name: 'Acme Health', batch_control: null, delivery: null, delivery_note: null, ...over,
  };
}

test('billers land on billing and see it first in the menu', () => {
  expect(navFor(biller()).map((n) => n.name)).toEqual(['billing', 'flow-board', 'preferences']);
});

test('a visit is coded, the scrubber speaks, and clean drafts are sent', async () => {
  let overview: BillingOverview = {
    to_bill: [{ encounter_id: 'e1', patient_id: 'p1', patient_name: 'Quill, Ada', provider_name: 'Rowan Hale', service_date: '2026-11-20', reason: 'Cough', payer_name: 'Acme Health' }],
    claims: [], denials: [], fees: [{ id: 'f1', code: '99213', modifier: '', description: 'Office visit', charge_cents: 12500 }],
    aging: { buckets: [{ label: '0–30 days', claims: 0, cents: 0 }], total_cents: 0 }, codes_loaded: 98147, replies: [], follow_up: noFollowUp,
  };
  const saved: unknown[] = [];
  const sent: unknown[] = [];
  mockIPC((cmd, args) => {
    const input = (args as { input?: unknown })?.input;
    if (cmd === 'billing_overview') return overview;
    if (cmd === 'search_codes') return [{ code: 'J20.9', billable: true, description: 'Acute bronchitis, unspecified' }];
    if (cmd === 'save_claim') {
      saved.push(input);
      const dx = (input as { diagnoses: string[] }).diagnoses[0];
      const problems = dx === 'J20' ? [{ field: 'diagnosis', message: 'J20 (Acute bronchitis) is a category, not a billable code; choose a more specific code such as J20.0.' }] : [];
      overview = { ...overview, to_bill: [], claims: [claimRow()] };
      return { claim: claimRow(), problems };
    }
    if (cmd === 'submit_claims') {
      sent.push(input);
      overview = { ...overview, claims: [claimRow({ status: 'submitted', status_detail: 'sent in batch 1', batch_id: 'b1', batch_control: 1, delivery: 'queued' })] };
      return { batches: [1], message: '1 claim ($125.00) in 1 batch, being sent to the clearinghouse.' };
    }
  });
  render(Billing);
  await waitFor(() => expect(screen.getAllByTestId('unbilled-visit')).toHaveLength(1));
  await fireEvent.click(screen.getByTestId('code-visit'));
  const dx = screen.getByTestId('claim-dx') as HTMLInputElement;
  await fireEvent.input(dx, { target: { value: 'J20' } });
  await fireEvent.click(screen.getByTestId('claim-save'));
  await waitFor(() => expect(screen.getByTestId('claim-problems').textContent).toContain('is a category'));
  expect(saved[0]).toEqual({ claim_id: null, encounter_id: 'e1', diagnoses: ['J20'], lines: [{ code: '99213', units: 1, modifiers: [], pointers: [1] }] });

  await fireEvent.input(dx, { target: { value: 'J20.9' } });
  await fireEvent.click(screen.getByTestId('claim-save'));
  await waitFor(() => expect(screen.getByTestId('claim-clean')).toBeTruthy());
  // The second save rewrites the same draft.
  expect((saved[1] as { claim_id: string }).claim_id).toBe('c1');

  await fireEvent.click(screen.getByText('Close'));
  await fireEvent.click(screen.getByTestId('billing-tab-claims'));
  await waitFor(() => expect(screen.getAllByTestId('claim-row')).toHaveLength(1));
  await fireEvent.click(screen.getByLabelText('Select the claim for Quill, Ada'));
  await fireEvent.click(screen.getByTestId('claims-submit'));
  await waitFor(() => expect(screen.getByTestId('billing-note').textContent).toContain('being sent to the clearinghouse'));
  expect(sent).toEqual([{ ids: ['c1'] }]);
  await waitFor(() => expect(screen.getByTestId('claim-row').dataset.status).toBe('submitted'));
  // Until its batch has left, the claim says so rather than "Sent".
  expect(screen.getByTestId('claim-row').textContent).toContain('Waiting to send');
  expect(screen.getByTestId('claim-row').textContent).toContain('Batch 1 is being sent.');
});

test('a batch that could not go says why and is sent again on request', async () => {
  const waiting = claimRow({
    status: 'submitted', batch_id: 'b7', batch_control: 7, delivery: 'queued',
    delivery_note: 'Acme Hub (hub.example) could not be reached: connection refused.',
  });
  const failed = claimRow({
    id: 'c2', status: 'submitted', batch_id: 'b8', batch_control: 8, delivery: 'failed',
    delivery_note: 'No SFTP password for Harbour Drop is stored in the keychain; enter it in the payer settings.',
  });
  let overview: BillingOverview = {
    to_bill: [], denials: [], fees: [], codes_loaded: 98147, replies: [], follow_up: noFollowUp, claims: [waiting, failed],
    aging: { buckets: [{ label: '0–30 days', claims: 2, cents: 25000 }], total_cents: 25000 },
  };
  const resent: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'billing_overview') return overview;
    if (cmd === 'resend_batch') {
      resent.push((args as { input: unknown }).input);
      overview = { ...overview, claims: [waiting, { ...failed, delivery: 'sent', delivery_note: 'uploaded /out/837P-000000008.x12' }] };
      return 'Batch 8 is being sent again.';
    }
  });
  render(Billing);
  await waitFor(() => expect(screen.getByTestId('billing-tab-claims')).toBeTruthy());
  await fireEvent.click(screen.getByTestId('billing-tab-claims'));
  await waitFor(() => expect(screen.getAllByTestId('claim-row')).toHaveLength(2));
  const [first, second] = screen.getAllByTestId('claim-row');
  expect(first.textContent).toContain('Waiting to send');
  expect(first.textContent).toContain('could not be reached: connection refused. It is tried again by itself.');
  expect(second.textContent).toContain('Not sent');
  expect(second.textContent).toContain('No SFTP password for Harbour Drop');
  expect(second.querySelector('.badge')?.className).toContain('tone-bad');
  await fireEvent.click(screen.getByText('Send batch 8 again'));
  await waitFor(() => expect(screen.getByTestId('billing-note').textContent).toBe('Batch 8 is being sent again.'));
  expect(resent).toEqual([{ id: 'b8' }]);
  await waitFor(() => expect(screen.getAllByTestId('claim-row')[1].textContent).toContain('Sent'));
  expect(screen.getAllByTestId('claim-row')[1].textContent).not.toContain('Send batch 8 again');
});

test('check status asks the payers about sent claims and shows each answer', async () => {
  let overview: BillingOverview = {
    to_bill: [], denials: [], fees: [], codes_loaded: 98147, replies: [], follow_up: noFollowUp,
    claims: [claimRow({ status: 'submitted', status_detail: 'sent in batch 1' }), claimRow({ id: 'c2', status: 'paid' })],
    aging: { buckets: [{ label: '0–30 days', claims: 1, cents: 12500 }], total_cents: 12500 },
  };
  const asked: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'billing_overview') return overview;
    if (cmd === 'check_claim_status') {
      asked.push((args as { input: unknown }).input);
      const detail = 'Finalized: payment: The claim has been paid; paid $125.00 of $125.00. Post the payer\'s 835 to record the payment.';
      overview = { ...overview, claims: [claimRow({ status: 'accepted', status_detail: detail }), overview.claims[1]] };
      return `Claim c1…: accepted · ${detail}`;
    }
  });
  render(Billing);
  await waitFor(() => expect(screen.getByTestId('billing-tab-claims')).toBeTruthy());
  await fireEvent.click(screen.getByTestId('billing-tab-claims'));
  await waitFor(() => expect(screen.getAllByTestId('claim-row')).toHaveLength(2));
  expect(screen.getByTestId('follow-up-state').textContent).toContain('Not asked yet on this computer.');
  await fireEvent.click(screen.getByTestId('claims-check-status'));
  await waitFor(() => expect(screen.getByTestId('billing-note').textContent).toContain('The claim has been paid'));
  expect(asked).toEqual([{ ids: [] }]);
  await waitFor(() => expect(screen.getAllByTestId('claim-row')[0].dataset.status).toBe('accepted'));
});

test('check status is off while no claim waits for an answer', async () => {
  const overview: BillingOverview = {
    to_bill: [], denials: [], fees: [], codes_loaded: 98147, replies: [], follow_up: noFollowUp, claims: [claimRow()],
    aging: { buckets: [{ label: '0–30 days', claims: 0, cents: 0 }], total_cents: 0 },
  };
  mockIPC((cmd) => (cmd === 'billing_overview' ? overview : undefined));
  render(Billing);
  await waitFor(() => expect(screen.getByTestId('billing-tab-claims')).toBeTruthy());
  await fireEvent.click(screen.getByTestId('billing-tab-claims'));
  await waitFor(() => expect(screen.getAllByTestId('claim-row')).toHaveLength(1));
  expect((screen.getByTestId('claims-check-status') as HTMLButtonElement).disabled).toBe(true);
});

test('replies picked up from the SFTP drop show per drop, with files left and why, and can be looked for now', async () => {
  const at = Math.floor(Date.now() / 1000) - 60;
  let overview: BillingOverview = {
    to_bill: [], denials: [], fees: [], codes_loaded: 98147, follow_up: noFollowUp, claims: [claimRow({ status: 'submitted' })],
    aging: { buckets: [], total_cents: 0 },
    replies: [
      {
        connection: 'Harbour Drop', next_at: at + 300,
        last: { connection: 'Harbour Drop', at, error: null,
          applied: [['a.999', '999 for batch 7: accepted']], failed: [['b.txt', 'the file is not X12.']] },
      },
      {
        connection: 'Acme Hub', next_at: at + 300,
        last: { connection: 'Acme Hub', at, applied: [], failed: [], error: 'Acme Hub (hub.example) could not be reached: connection refused' },
      },
    ],
  };
  let asked = 0;
  mockIPC((cmd) => {
    if (cmd === 'billing_overview') return overview;
    if (cmd === 'pick_up_replies') {
      asked += 1;
      return 'Looking for replies in 2 SFTP drops…';
    }
  });
  render(Billing);
  await waitFor(() => expect(screen.getByTestId('billing-tab-claims')).toBeTruthy());
  await fireEvent.click(screen.getByTestId('billing-tab-claims'));
  await waitFor(() => expect(screen.getAllByTestId('reply-drop')).toHaveLength(2));
  const [harbour, acme] = screen.getAllByTestId('reply-drop');
  expect(harbour.textContent).toContain('1 file applied, 1 file not applied.');
  expect(harbour.textContent).toContain('b.txt: the file is not X12. It stays in the inbound folder');
  expect(harbour.dataset.tone).toBe('bad');
  expect(acme.textContent).toContain('could not read the drop · Acme Hub (hub.example) could not be reached');
  expect(acme.textContent).toContain('Tried again about');
  await fireEvent.click(screen.getByTestId('replies-look-now'));
  await waitFor(() => expect(screen.getByTestId('replies-note').textContent).toBe('Looking for replies in 2 SFTP drops…'));
  expect(asked).toBe(1);
});

test('a look that found nothing new says so', () => {
  const drop = { connection: 'Harbour Drop', next_at: 1_795_000_300, last: { connection: 'Harbour Drop', at: 1_795_000_000, applied: [], failed: [], error: null } };
  const st = replyState(drop, () => '10:05');
  expect(st).toEqual({ tone: 'ok', summary: 'Last looked 10:05: nothing new.', problems: [], next: 'Next look about 10:05.' });
  expect(replyState({ ...drop, last: null }, () => '10:05').summary).toBe('Not looked in yet.');
});

test('without an SFTP drop there is no replies panel', async () => {
  mockIPC((cmd) => {
    if (cmd === 'billing_overview') {
      return { to_bill: [], denials: [], fees: [], codes_loaded: 98147, claims: [], aging: { buckets: [], total_cents: 0 }, replies: [], follow_up: noFollowUp };
    }
  });
  render(Billing);
  await fireEvent.click(await screen.findByTestId('billing-tab-claims'));
  expect(screen.queryByTestId('replies')).toBeNull();
});

test('the automatic follow-up says its rule, its last round and what could not be asked', async () => {
  const overview: BillingOverview = {
    to_bill: [], denials: [], fees: [], codes_loaded: 98147, replies: [],
    claims: [claimRow({ status: 'submitted' }), claimRow({ id: 'c2', status: 'accepted' })],
    aging: { buckets: [{ label: '31–60 days', claims: 2, cents: 25000 }], total_cents: 25000 },
    follow_up: {
      first_ask_after_days: 14, ask_again_after_days: 7, due: 1,
      last: {
        at: 1_790_000_000,
        answered: [['c1', 'accepted · Pending: in process.']],
        failed: [['c2', 'Harbour Drop delivers by SFTP drop, which answers no status questions; ask the payer']],
      },
    },
  };
  mockIPC((cmd) => (cmd === 'billing_overview' ? overview : undefined));
  render(Billing);
  await waitFor(() => expect(screen.getByTestId('billing-tab-claims')).toBeTruthy());
  await fireEvent.click(screen.getByTestId('billing-tab-claims'));
  const panel = await screen.findByTestId('follow-up');
  expect(panel.textContent).toContain('14 days after it went out');
  expect(screen.getByTestId('follow-up-state').textContent).toContain('1 answered, 1 could not be asked');
  expect(screen.getByTestId('follow-up-state').textContent).toContain('1 claim is due');
  expect(panel.textContent).toContain('answers no status questions');
});
