import { describe, expect, test } from 'vitest';
import { addDays, ageLabel, ageOn, formatMinutes, minutesOf, timeOf, timeRange, todayIn, hhmm } from '../lib/format';
import { syncText } from '../lib/sync';
import { layoutLanes } from '../lib/layout';

describe('times come from the clinic-local strings', () => {
  test('RFC 3339 with an offset shows the wall-clock time, not the computer zone', () => {
    expect(timeOf('2026-11-23T09:30:00-05:00')).toBe('09:30');
    expect(timeOf('2026-11-23T23:45:00+09:00')).toBe('23:45');
  });
  test('slot strings', () => {
    expect(timeOf('2026-11-23T14:05')).toBe('14:05');
    expect(minutesOf('2026-11-23T14:05')).toBe(14 * 60 + 5);
    expect(timeRange('2026-11-23T09:30', '2026-11-23T09:45')).toBe('09:30–09:45');
    expect(hhmm(9 * 60 + 5)).toBe('09:05');
  });
  test('adding days crosses months and years', () => {
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
  });
  test('today in the clinic zone', () => {
    const instant = new Date('2026-11-24T03:00:00Z');
    expect(todayIn('America/New_York', instant)).toBe('2026-11-23');
    expect(todayIn('Asia/Tokyo', instant)).toBe('2026-11-24');
  });
});

describe('age', () => {
  test('counts the birthday only once it has come', () => {
    expect(ageOn('1980-11-24', '2026-11-23')).toBe(45);
    expect(ageOn('1980-11-23', '2026-11-23')).toBe(46);
    expect(ageOn('2030-01-01', '2026-11-23')).toBeNull();
  });
  test('labels babies in months and days', () => {
    expect(ageLabel('1980-01-01', '2026-11-23')).toBe('46 y');
    expect(ageLabel('2026-05-10', '2026-11-23')).toBe('6 mo');
    expect(ageLabel('2026-11-20', '2026-11-23')).toBe('3 d');
  });
});

describe('waiting times', () => {
  test('minutes and hours', () => {
    expect(formatMinutes(null)).toBe('—');
    expect(formatMinutes(0)).toBe('0 min');
    expect(formatMinutes(12)).toBe('12 min');
    expect(formatMinutes(65)).toBe('1 h 05 min');
    expect(formatMinutes(-3)).toBe('0 min');
  });
});

describe('sync state in words', () => {
  const base = { enrolled: true, server: 'https://s', online: true, queued: 0, last_success_at: null, last_attempt_at: null, last_error: null, conflicts: 0 };
  test('not enrolled', () => {
    expect(syncText({ ...base, enrolled: false })).toBe('Not connected to a clinic server (this desktop works on its own)');
  });
  test('offline with changes waiting', () => {
    expect(syncText({ ...base, online: false, queued: 3 })).toBe('Offline — 3 changes waiting; they will be sent when the network returns');
  });
  test('online', () => {
    const now = 1_800_000_000_000;
    expect(syncText({ ...base, queued: 2, last_success_at: now / 1000 - 300 }, now)).toBe('Online — 2 changes waiting, last synced 5 min ago');
  });
});

describe('calendar lanes', () => {
  test('overlapping items sit side by side, others take the full width', () => {
    const items = [{ id: 'a', s: 0, e: 30 }, { id: 'b', s: 15, e: 45 }, { id: 'c', s: 60, e: 75 }];
    const placed = layoutLanes(items, (i) => ({ start: i.s, end: i.e }));
    const by = Object.fromEntries(placed.map((p) => [p.item.id, p]));
    expect([by.a.lane, by.a.lanes]).toEqual([0, 2]);
    expect([by.b.lane, by.b.lanes]).toEqual([1, 2]);
    expect([by.c.lane, by.c.lanes]).toEqual([0, 1]);
  });
});
