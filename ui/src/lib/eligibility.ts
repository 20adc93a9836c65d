// How insurance verification reads on screen: badges, money, and the X12
// service types and networks in the words the front desk uses.
import type { CoverageEligibility, EligibilityState, ServiceBenefits } from './api';

export const stateLabels: Record<EligibilityState, string> = {
  active: 'Verified: active',
  inactive: 'Inactive',
  rejected: 'Rejected',
  waiting: 'Not verified: waiting',
  failed: 'Not verified: check failed',
  expired: 'Not verified today',
  'not-checked': 'Not verified',
};

/** The badge's tone: good, bad, or still open. */
export function stateTone(s: EligibilityState): 'ok' | 'bad' | 'pending' {
  if (s === 'active') return 'ok';
  if (s === 'inactive' || s === 'rejected' || s === 'failed') return 'bad';
  return 'pending';
}

/** X12 service type codes (EB03) the clinic sees most. */
const serviceTypes: Record<string, string> = {
  '1': 'Medical care', '30': 'Plan coverage', '33': 'Chiropractic', '35': 'Dental care', '47': 'Hospital',
  '48': 'Hospital inpatient', '50': 'Hospital outpatient', '86': 'Emergency', '88': 'Pharmacy',
  '98': 'Office visit', 'AL': 'Vision', 'MH': 'Mental health', 'UC': 'Urgent care',
};

export function serviceTypeLabel(code: string): string {
  return serviceTypes[code] ?? `Service type ${code}`;
}

export function networkLabel(n: ServiceBenefits['network']): string {
  return n === 'in' ? 'In network' : n === 'out' ? 'Out of network' : n === 'both' ? 'In and out of network' : 'Network not stated';
}

export function money(cents: number | null | undefined): string {
  if (cents === null || cents === undefined) return '—';
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}$${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** "$900.50 of $1,500.00 left", or whichever half is known. */
export function remaining(left: number | null, total: number | null): string {
  if (left !== null && total !== null) return `${money(left)} of ${money(total)} left`;
  if (total !== null) return money(total);
  if (left !== null) return `${money(left)} left`;
  return '—';
}

/** Benefit rows worth a line: those with at least one amount. */
export function benefitRows(c: CoverageEligibility): ServiceBenefits[] {
  const rows = c.result?.benefits ?? [];
  return rows.filter((b) =>
    [b.copay_cents, b.coinsurance_percent, b.deductible_cents, b.deductible_remaining_cents,
      b.out_of_pocket_max_cents, b.out_of_pocket_remaining_cents].some((v) => v !== null && v !== undefined));
}
