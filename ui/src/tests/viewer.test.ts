import { describe, expect, it } from 'vitest';
import {
  angle, buildLut, distance, dragWindow, fit, FrameCache, InFlight, nearestHandle, nudge, nextToFetch, parseFrame, renderFrame, roi, toImage, toScreen, valueAt, voi, zoomAt,
  type Frame, type FrameHeader,
} from '../lib/viewer';
import { importProgress, importSummary, personName } from '../lib/imaging';
import { navFor } from '../lib/state.svelte';
import { status } from './fixtures';
import type { ImportUpdate } from '../lib/api';

function header(over: Partial<FrameHeader> = {}): FrameHeader {
  return {
    rows: 2, columns: 2, format: 'i16', slope: 1, intercept: -1024, center: 40, width: 400, function: 'LINEAR',
    file_window: true, inverted: false, min: -1024, max: 1000, pixel_spacing: [0.5, 0.25], slice_location: 12.5,
    frames: 1, photometric: 'MONOCHROME2', modality: 'CT', units: 'HU', fixed: null, ...over,
  };
}

/** A frame message as the core writes it. */
function message(h: FrameHeader, values: ArrayBufferView): ArrayBuffer {
  let json = JSON.stringify(h);
  while ((json.length + 4) % 8 !== 0) json += ' ';
  const head = new TextEncoder().encode(json);
  const buf = new ArrayBuffer(4 + head.length + values.byteLength);
  new DataView(buf).setUint32(0, head.length, true);
  new Uint8Array(buf, 4).set(head);
  new Uint8Array(buf, 4 + head.length).set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  return buf;
}

function frame(values: number[], over: Partial<FrameHeader> = {}): Frame {
  return parseFrame(message(header(over), new Int16Array(values)));
}

describe('frame messages', () => {
  it('read the header and the values in place', () => {
    const f = frame([0, 1024, 1064, 2000]);
    expect(f.header.units).toBe('HU');
    expect(Array.from(f.values)).toEqual([0, 1024, 1064, 2000]);
    expect(valueAt(f, 1.5, 0.2)).toBe(0);
    expect(valueAt(f, 0, 1)).toBe(40);
    expect(valueAt(f, 2, 0)).toBeNull();
  });

  it('refuse a message cut short', () => {
    const whole = message(header(), new Int16Array([1, 2, 3, 4]));
    expect(() => parseFrame(whole.slice(0, whole.byteLength - 2))).toThrow('cut short');
    expect(() => parseFrame(new ArrayBuffer(2))).toThrow('cut short');
  });
});

describe('windowing', () => {
  it('follows the standard, as the core does', () => {
    expect(voi(-160, 40, 400)).toBe(0);
    expect(voi(-159.5, 40, 400)).toBeGreaterThan(0);
    expect(voi(240, 40, 400)).toBe(255);
    expect(voi(39.5, 40, 400)).toBeCloseTo(127.5, 9);
    expect(voi(40, 40, 400, 'LINEAR_EXACT')).toBeCloseTo(127.5, 9);
    expect(voi(440, 40, 400, 'SIGMOID')).toBeCloseTo(250.41, 2);
  });

  it('renders modality values through the window, inverted on request and for MONOCHROME1', () => {
    // Stored 0 → -1024 HU (black), 1064 → 40 HU (mid grey), 2000 → 976 HU (white).
    const f = frame([0, 1064, 2000, 1064]);
    const out = new Uint8ClampedArray(16);
    renderFrame(f, { center: 40, width: 400, invert: false }, out);
    expect(Array.from(out.slice(0, 4))).toEqual([0, 0, 0, 255]);
    expect(out[4]).toBe(128);
    expect(Array.from(out.slice(8, 12))).toEqual([255, 255, 255, 255]);
    renderFrame(f, { center: 40, width: 400, invert: true }, out);
    expect(out[0]).toBe(255);
    const mono1 = frame([0, 1064, 2000, 1064], { inverted: true });
    renderFrame(mono1, { center: 40, width: 400, invert: false }, out);
    expect(out[0]).toBe(255);
    expect(out[8]).toBe(0);
  });

  it('builds a table for integer frames only', () => {
    expect(buildLut(header({ format: 'u8' }), { center: 128, width: 256, invert: false })?.table.length).toBe(256);
    expect(buildLut(header({ format: 'i16' }), { center: 0, width: 10, invert: false })?.offset).toBe(32768);
    expect(buildLut(header({ format: 'f32' }), { center: 0, width: 10, invert: false })).toBeNull();
  });

  it('dragging right widens and down raises the level', () => {
    const w = dragWindow({ center: 40, width: 400, invert: false }, 100, -50, header({ min: -1024, max: 1024 }));
    expect(w.width).toBeGreaterThan(400);
    expect(w.center).toBeLessThan(40);
    expect(dragWindow({ center: 0, width: 10, invert: false }, -1e6, 0, header()).width).toBe(1);
  });
});

describe('measurements', () => {
  it('use the pixel spacing: rows first, then columns', () => {
    // 4 columns across at 0.25 mm, 2 rows down at 0.5 mm.
    expect(distance([0, 0], [4, 0], [0.5, 0.25])).toEqual({ value: 1, unit: 'mm' });
    expect(distance([0, 0], [0, 2], [0.5, 0.25])).toEqual({ value: 1, unit: 'mm' });
    expect(distance([0, 0], [3, 4], null)).toEqual({ value: 5, unit: 'px' });
  });

  it('measure angles in physical space', () => {
    expect(angle([10, 0], [0, 0], [0, 10], null)).toBeCloseTo(90, 9);
    expect(angle([10, 0], [0, 0], [10, 10], null)).toBeCloseTo(45, 9);
    // Non-square pixels change the angle: 2 columns of 0.25 mm against 1 row of 0.5 mm is 45°.
    expect(angle([2, 0], [0, 0], [2, 1], [0.5, 0.25])).toBeCloseTo(45, 9);
    expect(angle([0, 0], [0, 0], [1, 1], null)).toBe(0);
  });

  it('give a region its area, mean and spread', () => {
    const values = new Array(100).fill(1064);
    const f = frame(values, { rows: 10, columns: 10, pixel_spacing: [1, 1] });
    const r = roi([0, 0], [10, 10], f, [1, 1]);
    expect(r.area).toBeCloseTo(Math.PI * 25, 9);
    expect(r.unit).toBe('mm²');
    expect(r.mean).toBe(40);
    expect(r.sd).toBe(0);
    expect(r.pixels).toBeGreaterThan(70);
    expect(roi([0, 0], [10, 10], null, null).mean).toBeNull();
  });
});

describe('view', () => {
  it('fits, maps both ways and zooms about the pointer', () => {
    const v = fit(512, 256, 1024, 1024);
    expect(v.scale).toBe(2);
    expect(v.y).toBe(256);
    const [ix, iy] = toImage(v, 300, 400);
    expect(toScreen(v, ix, iy)).toEqual([300, 400]);
    const z = zoomAt(v, 2, 300, 400);
    expect(toImage(z, 300, 400)).toEqual([ix, iy]);
  });
});

describe('moving annotations', () => {
  const view = { x: 10, y: 20, scale: 2 };
  const shapes = [
    { id: 'a', points: [[0, 0], [50, 0]] as [number, number][] },
    { id: 'b', points: [[52, 1], [100, 100]] as [number, number][] },
  ];

  it('grabs the nearest point within reach, on screen', () => {
    // (50, 0) is at screen (110, 20); (52, 1) at (114, 22).
    expect(nearestHandle(shapes, view, 111, 20, 8)).toEqual({ id: 'a', index: 1 });
    expect(nearestHandle(shapes, view, 114, 23, 8)).toEqual({ id: 'b', index: 0 });
    expect(nearestHandle(shapes, view, 10, 20, 8)).toEqual({ id: 'a', index: 0 });
  });

  it('grabs nothing out of reach', () => {
    expect(nearestHandle(shapes, view, 60, 60, 8)).toBeNull();
    expect(nearestHandle([], view, 10, 20, 8)).toBeNull();
  });
});

describe('frame cache', () => {
  it('drops the least recently used frames past its budget', () => {
    const one = frame([1, 2, 3, 4]);
    const c = new FrameCache(one.bytes * 2);
    c.set('a', one);
    c.set('b', one);
    c.get('a');
    c.set('c', one);
    expect(c.has('a')).toBe(true);
    expect(c.has('b')).toBe(false);
    expect(c.bytes).toBe(one.bytes * 2);
  });

  it('looks ahead of the reader without leaving gaps when the reader moves on', () => {
    const cached = new Set<number>();
    const fetched: number[] = [];
    let index = 0;
    // The reader steps once for every frame the look-ahead loads.
    for (let n = 0; n < 6; n++) {
      const i = nextToFetch(10, index, (j) => cached.has(j));
      cached.add(i);
      fetched.push(i);
      index++;
    }
    expect(fetched).toEqual([1, 2, 3, 4, 5, 6]);
    // It wraps round past the end, and reports when nothing is left.
    expect(nextToFetch(4, 2, (j) => j === 3)).toBe(0);
    expect(nextToFetch(4, 2, () => true)).toBe(-1);
    expect(nextToFetch(1, 0, () => false)).toBe(-1);
  });
});

describe('moving an annotation with the keys', () => {
  it('moves every point together', () => {
    expect(nudge([[10, 10], [20, 30]], 1, -10, 512, 512)).toEqual([[11, 0], [21, 20]]);
  });

  it('stops at the edge of the image without changing the shape', () => {
    // 10 to the left from x = 3: only 3 pixels are left.
    expect(nudge([[3, 5], [40, 50]], -10, 0, 64, 64)).toEqual([[0, 5], [37, 50]]);
    // Down past the bottom row.
    expect(nudge([[3, 60], [40, 50]], 0, 10, 64, 64)).toEqual([[3, 64], [40, 54]]);
    expect(nudge([], 5, 5, 64, 64)).toEqual([]);
  });
});

describe('requests in flight', () => {
  it('are shared by everyone asking for the same frame, and made again once settled', async () => {
    const inflight = new InFlight<number>();
    let started = 0;
    let release: (v: number) => void = () => {};
    const start = () => {
      started++;
      return new Promise<number>((r) => { release = r; });
    };
    const a = inflight.run('sop#0', start);
    const b = inflight.run('sop#0', start);
    expect(started).toBe(1);
    release(7);
    expect(await a).toBe(7);
    expect(await b).toBe(7);
    void inflight.run('sop#0', start);
    expect(started).toBe(2);
  });

  it('forget a failed request, so the next ask tries again', async () => {
    const inflight = new InFlight<number>();
    let started = 0;
    const fail = () => { started++; return Promise.reject(new Error('cut short')); };
    await expect(inflight.run('sop#1', fail)).rejects.toThrow('cut short');
    await expect(inflight.run('sop#1', fail)).rejects.toThrow('cut short');
    expect(started).toBe(2);
  });

  it('keep different frames apart', () => {
    const inflight = new InFlight<string>();
    let started = 0;
    const start = () => { started++; return new Promise<string>(() => {}); };
    void inflight.run('sop#0', start);
    void inflight.run('sop#1', start);
    expect(started).toBe(2);
  });
});

describe('imports in words', () => {
  const base: ImportUpdate = { source: 'files', what: 'CD', phase: 'reading', done: 3, total: 10, finished: false, report: null, error: null };
  it('say where they are', () => {
    expect(importProgress(base).text).toBe('Reading CD… 3 of 10 images');
    expect(importProgress({ ...base, phase: 'storing' }).text).toBe('Saving into the encrypted store… 3 of 10 images');
  });
  it('sum up what happened', () => {
    const report = {
      imported: 299, already_present: 1, failed: [{ source: 'x.dcm', reason: 'not DICOM' }], skipped: [],
      studies: [{ study_uid: '1', link_state: 'needs-confirmation' as const, link_issues: [], imported: 299, already_present: 1, failed: 1 }],
    };
    expect(importSummary({ ...base, finished: true, report })).toBe(
      'Imported 299 images in 1 study; 1 image already on this computer; 1 file could not be imported; 1 study waiting for someone to confirm the patient.',
    );
    expect(importSummary({ ...base, finished: true, error: 'The disc could not be read.' })).toBe('The disc could not be read.');
  });
});

describe('person names', () => {
  it('read as people write them', () => {
    expect(personName('Lovelace^Ada^King^^')).toBe('Lovelace, Ada King');
    expect(personName('Yamada^Tarou=山田^太郎')).toBe('Yamada, Tarou');
    expect(personName('ANONYMOUS')).toBe('ANONYMOUS');
    expect(personName(null)).toBe('');
  });
});

describe('navigation', () => {
  it('shows Images to those who may view or import them', () => {
    const physician = status({ session: { user_id: 'u', username: 'doc', display_name: 'Doc', role: 'physician', provider_id: null } });
    physician.can = { ...physician.can, view_images: true, import_images: true };
    expect(navFor(physician).map((n) => n.name)).toContain('images');
    expect(navFor(status()).map((n) => n.name)).not.toContain('images');
  });
});
