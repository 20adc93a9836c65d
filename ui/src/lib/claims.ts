// How a claim reads in the biller's list: its badge, the detail beside it,
// and whether its batch can be sent again. A submitted claim is only "Sent"
// once its batch has left; before that it says it is waiting, or why it
// could not go.
import type { ClaimRow, ClaimStatus, ReplyDrop } from './api';

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

/** How an SFTP drop's last pick-up reads on the Billing screen. */
export interface ReplyState {
  tone: Tone;
  /** "Last looked 10:05: 2 files applied." */
  summary: string;
  /** One line per file that was not applied, with why. */
  problems: string[];
  /** "Next look about 10:10." */
  next: string;
}

export function replyState(d: ReplyDrop, time: (unixSeconds: number) => string): ReplyState {
  const next = `Next look about ${time(d.next_at)}.`;
  const p = d.last;
  if (!p) return { tone: 'pending', summary: 'Not looked in yet.', problems: [], next };
  const when = `Last looked ${time(p.at)}`;
  if (p.error) {
    return { tone: 'bad', summary: `${when}: could not read the drop · ${p.error}`, problems: [], next: `Tried again about ${time(d.next_at)}.` };
  }
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  const parts: string[] = [];
  if (p.applied.length) parts.push(`${files(p.applied.length)} applied`);
  if (p.failed.length) parts.push(`${files(p.failed.length)} not applied`);
  return {
    tone: p.failed.length ? 'bad' : 'ok',
    summary: parts.length ? `${when}: ${parts.join(', ')}.` : `${when}: nothing new.`,
    problems: p.failed.map(([file, why]) => `${file}: ${why} It stays in the inbound folder and is tried again at the next look.`),
    next,
  };
}
