// Words for image imports: what the progress bar says and the summary at the end.
import type { ImportUpdate } from './api';

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

export function importProgress(u: ImportUpdate): { text: string; done: number; total: number } {
  const of = u.total ? ` ${u.done.toLocaleString('en-US')} of ${plural(u.total, 'image')}` : '';
  const step =
    u.phase === 'receiving' ? `Receiving ${u.what}…${of}` : u.phase === 'reading' ? `Reading ${u.what}…${of}` : `Saving into the encrypted store…${of}`;
  return { text: step, done: u.done, total: u.total };
}

export function importSummary(u: ImportUpdate): string {
  if (u.error) return u.error;
  const r = u.report;
  if (!r) return `Importing ${u.what}…`;
  const parts: string[] = [];
  const studies = r.studies.filter((s) => s.imported > 0).length;
  if (r.imported) parts.push(`Imported ${plural(r.imported, 'image')} in ${plural(studies, 'study', 'studies')}`);
  else parts.push('No new images');
  if (r.already_present) parts.push(`${plural(r.already_present, 'image')} already on this computer`);
  if (r.failed.length) parts.push(`${plural(r.failed.length, 'file')} could not be imported`);
  const waiting = r.studies.filter((s) => s.link_state === 'needs-confirmation').length;
  if (waiting) parts.push(`${plural(waiting, 'study', 'studies')} waiting for someone to confirm the patient`);
  return `${parts.join('; ')}.`;
}

/** A DICOM person name (Family^Given^Middle^Prefix^Suffix) as people write it: "Lovelace, Ada". */
export function personName(pn: string | null | undefined): string {
  if (!pn) return '';
  const [family = '', given = '', middle = ''] = pn.split('=')[0].split('^').map((p) => p.trim());
  const first = [given, middle].filter(Boolean).join(' ');
  return family && first ? `${family}, ${first}` : family || first;
}
