// Formatting helpers. Appointment and slot times are shown from the clinic-local
// strings the core sends ("2026-11-23T09:30:00-05:00" or "2026-11-23T09:30"),
// never converted through the computer's own time zone.
import type { AppointmentStatus, Role } from './api';

/** "HH:MM" of a clinic-local date-time string. */
export function timeOf(local: string): string {
  const m = /T(\d{2}):(\d{2})/.exec(local);
  return m ? `${m[1]}:${m[2]}` : '';
}

/** "YYYY-MM-DD" of a clinic-local date-time string. */
export function dateOf(local: string): string {
  return local.slice(0, 10);
}

/** Minutes since midnight of a clinic-local date-time string or "HH:MM". */
export function minutesOf(local: string): number {
  const t = local.includes('T') ? timeOf(local) : local;
  const m = /^(\d{1,2}):(\d{2})/.exec(t);
  if (!m) return 0;
  return Number(m[1]) * 60 + Number(m[2]);
}

/** "HH:MM" for minutes since midnight. */
export function hhmm(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** "09:30–10:00" from two local strings. */
export function timeRange(start: string, end: string): string {
  return `${timeOf(start)}–${timeOf(end)}`;
}

/** Whole years between a birth date and a day (both "YYYY-MM-DD"). */
export function ageOn(birthDate: string, onDate: string): number | null {
  const b = /^(\d{4})-(\d{2})-(\d{2})/.exec(birthDate);
  const d = /^(\d{4})-(\d{2})-(\d{2})/.exec(onDate);
  if (!b || !d) return null;
  let age = Number(d[1]) - Number(b[1]);
  const beforeBirthday = Number(d[2]) < Number(b[2]) || (Number(d[2]) === Number(b[2]) && Number(d[3]) < Number(b[3]));
  if (beforeBirthday) age -= 1;
  return age < 0 ? null : age;
}

/** "42 y", or months/days for the very young. */
export function ageLabel(birthDate: string, onDate: string): string {
  const years = ageOn(birthDate, onDate);
  if (years === null) return '';
  if (years >= 2) return `${years} y`;
  const b = new Date(birthDate + 'T00:00:00Z');
  const d = new Date(onDate + 'T00:00:00Z');
  const months = (d.getUTCFullYear() - b.getUTCFullYear()) * 12 + d.getUTCMonth() - b.getUTCMonth()
    - (d.getUTCDate() < b.getUTCDate() ? 1 : 0);
  if (months >= 1) return `${months} mo`;
  const days = Math.round((d.getTime() - b.getTime()) / 86_400_000);
  return `${Math.max(days, 0)} d`;
}

/** A wait or duration in minutes: "—", "0 min", "12 min", "1 h 05 min". */
export function formatMinutes(minutes: number | null | undefined): string {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return '—';
  const m = Math.max(0, Math.floor(minutes));
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${String(m % 60).padStart(2, '0')} min`;
}

/** Adds days to a "YYYY-MM-DD" date. */
export function addDays(date: string, days: number): string {
  const d = new Date(date + 'T12:00:00Z');
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Today's date, "YYYY-MM-DD", in the given IANA zone (the computer's when absent). */
export function todayIn(timeZone?: string | null, now: Date = new Date()): string {
  // Built from parts: a locale's own date layout (en-CA is ISO in some ICU
  // builds and M/D/Y in others) must never reach the core.
  const opts: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit' };
  let fmt: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', { ...opts, timeZone: timeZone || undefined });
  } catch {
    fmt = new Intl.DateTimeFormat('en-US', opts);
  }
  const part = (t: string) => fmt.formatToParts(now).find((p) => p.type === t)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** "Monday 23 November 2026" for a "YYYY-MM-DD" date. */
export function longDate(date: string): string {
  const d = new Date(date + 'T12:00:00Z');
  if (Number.isNaN(d.getTime())) return date;
  return new Intl.DateTimeFormat('en-GB', {
    weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC',
  }).format(d);
}

/** "Mon 23 Nov" for a "YYYY-MM-DD" date. */
export function shortDate(date: string): string {
  const d = new Date(date + 'T12:00:00Z');
  if (Number.isNaN(d.getTime())) return date;
  return new Intl.DateTimeFormat('en-GB', { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' }).format(d);
}

function zoned(opts: Intl.DateTimeFormatOptions, timeZone?: string | null): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('en-GB', { ...opts, timeZone: timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat('en-GB', opts);
  }
}

/** "10:42" for a unix-seconds instant, in the clinic's zone. */
export function clockTime(unixSeconds: number, timeZone?: string | null): string {
  return zoned({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, timeZone).format(new Date(unixSeconds * 1000));
}

/** "23 Nov 2026, 10:42" for a unix-seconds instant, in the clinic's zone. */
export function dateTime(unixSeconds: number, timeZone?: string | null): string {
  return zoned({ day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }, timeZone)
    .format(new Date(unixSeconds * 1000));
}

/** "just now", "5 min ago", "3 h ago", or a date for older instants. */
export function ago(unixSeconds: number, nowMs: number = Date.now(), timeZone?: string | null): string {
  const diff = Math.floor(nowMs / 1000 - unixSeconds);
  if (diff < 60) return 'just now';
  if (diff < 3600) return `${Math.floor(diff / 60)} min ago`;
  if (diff < 86_400) return `${Math.floor(diff / 3600)} h ago`;
  return dateTime(unixSeconds, timeZone);
}

export const statusLabels: Record<AppointmentStatus, string> = {
  booked: 'Booked', confirmed: 'Confirmed', arrived: 'Arrived', roomed: 'Roomed',
  'with-provider': 'With provider', completed: 'Completed', cancelled: 'Cancelled', 'no-show': 'No-show',
};

export const roleLabels: Record<Role, string> = {
  'front-desk': 'Front desk', physician: 'Physician', nurse: 'Nurse', biller: 'Billing', admin: 'Administrator',
};

export function patientName(p: { given_name: string; family_name: string }): string {
  return `${p.family_name}, ${p.given_name}`;
}

/** IANA time zones the web view knows, for a time-zone field's suggestions. */
export function timeZones(): string[] {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}
