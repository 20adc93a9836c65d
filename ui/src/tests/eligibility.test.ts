import { afterEach, beforeEach, expect, test } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import EligibilityPanel from '../components/EligibilityPanel.svelte';
import { app } from '../lib/state.svelte';
import type { CoverageEligibility, PatientEligibility } from '../lib/api';
import { benefitRows, money, remaining } from '../lib/eligibility';
import { status } from './fixtures';

beforeEach(() => app.setStatus(status()));
afterEach(() => {
  clearMocks();
  app.reset();
});

function coverage(over: Partial<CoverageEligibility> = {}): CoverageEligibility {
  return {
    coverage_id: 'cov1', priority: 1, payer_name: 'Acme Health', member_id: 'ACTIVE01', state: 'not-checked',
    headline: 'Not verified', detail: null, requested_at: null, requested_by: null, answered_at: null,
    check_id: null, result: null, ...over,
  };
}

const active = coverage({
  state: 'active', headline: 'Active · Gold PPO · office visit copay $25.00', requested_at: 1_790_000_000,
  requested_by: 'Front Desk', answered_at: 1_790_000_002, check_id: 'k1',
  result: {
    payload_id: 'k1', trace_number: 't', payer_name: 'Acme Health', active: true, status: 'Active coverage',
    plan_name: 'Gold PPO', plan_number: null, group_name: null, group_number: 'G-77', messages: [], rejections: [],
    benefits: [
      { service_type: '98', network: 'in', copay_cents: 2500, coinsurance_percent: null, deductible_cents: null,
        deductible_remaining_cents: null, out_of_pocket_max_cents: null, out_of_pocket_remaining_cents: null },
      { service_type: '30', network: 'in', copay_cents: null, coinsurance_percent: '20', deductible_cents: 150000,
        deductible_remaining_cents: 90050, out_of_pocket_max_cents: 500000, out_of_pocket_remaining_cents: 420000 },
      { service_type: '1', network: 'out', copay_cents: null, coinsurance_percent: null, deductible_cents: null,
        deductible_remaining_cents: null, out_of_pocket_max_cents: null, out_of_pocket_remaining_cents: null },
    ],
  },
});

test('a waiting check turns into the payer answer without a click', async () => {
  let answer: PatientEligibility = { configured: true, can_check: true, coverages: [coverage()] };
  const asked: unknown[] = [];
  mockIPC((cmd, args) => {
    if (cmd === 'eligibility') return answer;
    if (cmd === 'check_eligibility') {
      asked.push((args as { input: unknown }).input);
      answer = { ...answer, coverages: [coverage({ state: 'waiting', headline: 'Not verified yet: asking Acme Health…' })] };
      return answer;
    }
  });
  const { rerender } = render(EligibilityPanel, { patientId: 'p1', appointmentId: 'a1' });
  await waitFor(() => expect(screen.getByTestId('eligibility-state').textContent).toBe('Not verified'));
  await fireEvent.click(screen.getByTestId('eligibility-check'));
  expect(asked).toEqual([{ coverage_id: 'cov1', appointment_id: 'a1' }]);
  await waitFor(() => expect(screen.getByText('Not verified yet: asking Acme Health…')).toBeTruthy());
  expect((screen.getByTestId('eligibility-check') as HTMLButtonElement).disabled).toBe(true);

  answer = { ...answer, coverages: [active] };
  await rerender({ patientId: 'p1', appointmentId: 'a1', refresh: 1 });
  await waitFor(() => expect(screen.getByTestId('eligibility-state').textContent).toBe('Verified: active'));
  expect(screen.getByText('Office visit')).toBeTruthy();
  expect(screen.getByText('$900.50 of $1,500.00 left')).toBeTruthy();
  expect(screen.getByText('20%')).toBeTruthy();
  // A row with no amounts says nothing and is left out.
  expect(screen.queryByText('Medical care')).toBeNull();
});

test('a rejection says what to fix, and an unconfigured desktop says who sets it up', async () => {
  mockIPC((cmd) => {
    if (cmd === 'eligibility') {
      return {
        configured: false, can_check: true,
        coverages: [coverage({
          state: 'rejected', headline: 'Rejected by Acme Health: Invalid/Missing Subscriber/Insured ID',
          result: { ...active.result!, active: false, benefits: [], rejections: [
            { code: '72', text: 'Invalid/Missing Subscriber/Insured ID', fix: 'Check the member ID against the insurance card.', follow_up: 'C' },
          ] },
        })],
      };
    }
  });
  render(EligibilityPanel, { patientId: 'p1' });
  await waitFor(() => expect(screen.getByText('Check the member ID against the insurance card.', { exact: false })).toBeTruthy());
  expect(screen.getByTestId('eligibility-card').dataset.state).toBe('rejected');
  expect(screen.getByTestId('eligibility-not-configured').textContent).toContain('Preferences → Insurance');
  expect(screen.queryByTestId('eligibility-check')).toBeNull();
});

test('money and remaining amounts read the way the desk says them', () => {
  expect(money(123456)).toBe('$1,234.56');
  expect(money(-5)).toBe('-$0.05');
  expect(money(null)).toBe('—');
  expect(remaining(null, 150000)).toBe('$1,500.00');
  expect(remaining(100, null)).toBe('$1.00 left');
  expect(benefitRows(active)).toHaveLength(2);
});
