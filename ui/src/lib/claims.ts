// How a claim reads in the biller's list: its badge, the detail beside it,
// and whether its batch can be sent again. A submitted claim is only "Sent"
// once its batch has left; before that it says it is waiting, or why it
// could not go.
import type { ClaimRow, ClaimStatus } from './api';

export const claimLabels: Record<ClaimStatus, string> = {
  draft: 'Draft', submitted: 'Sent', accepted: 'Accepted', rejected: 'Rejected', paid: 'Paid',
  partial: 'Partly paid', denied: 'Denied', void: 'Void',
};

export type Tone = 'ok' | 'bad' | 'pending';

export interface ClaimState {
  label: string;
  tone: Tone;
  detail: string;
  /** The batch can be queued again ("Send again"). */
  resend: boolean;
}

function statusTone(s: ClaimStatus): Tone {
  if (s === 'paid' || s === 'accepted') return 'ok';
  if (s === 'denied' || s === 'rejected') return 'bad';
  return 'pending';
}

export function claimState(c: ClaimRow): ClaimState {
  const batch = c.batch_control === null ? '' : `Batch ${c.batch_control}`;
  if (c.status === 'submitted' && c.delivery === 'queued') {
    return {
      label: 'Waiting to send',
      tone: 'pending',
      detail: c.delivery_note ? `${batch}: not sent yet · ${c.delivery_note} It is tried again by itself.` : `${batch} is being sent.`,
      resend: c.delivery_note !== null,
    };
  }
  if (c.status === 'submitted' && c.delivery === 'failed') {
    return {
      label: 'Not sent',
      tone: 'bad',
      detail: `${batch}: ${c.delivery_note ?? 'it could not be sent.'} Once that is fixed, send it again.`,
      resend: true,
    };
  }
  return { label: claimLabels[c.status], tone: statusTone(c.status), detail: c.status_detail ?? '', resend: false };
}
