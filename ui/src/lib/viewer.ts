// The image viewer's arithmetic: frame messages from the core, windowing
// through a lookup table (so dragging the window costs one table, not a
// round trip), the view transform, and measurements in millimetres.

export type FrameFormat = 'u8' | 'u16' | 'i16' | 'f32' | 'rgba';
export type VoiFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface FrameHeader {
  rows: number;
  columns: number;
  format: FrameFormat;
  slope: number;
  intercept: number;
  center: number;
  width: number;
  function: VoiFunction;
  file_window: boolean;
  inverted: boolean;
  min: number;
  max: number;
  /** Row spacing, column spacing in mm. */
  pixel_spacing: [number, number] | null;
  slice_location: number | null;
  frames: number;
  photometric: string;
  modality: string | null;
  units: string | null;
  /** Why windowing does not apply (colour, the file's own lookup table). */
  fixed: string | null;
}

export interface Frame {
  header: FrameHeader;
  values: Uint8Array | Uint16Array | Int16Array | Float32Array;
  /** For rgba frames: the pixels, 4 bytes each. */
  rgba: Uint8ClampedArray | null;
  bytes: number;
}

/** Reads a frame message: u32 header length, JSON header, values (see the core's `frame_message`). */
export function parseFrame(buf: ArrayBuffer): Frame {
  if (buf.byteLength < 4) throw new Error('The image data was cut short.');
  const len = new DataView(buf).getUint32(0, true);
  if (4 + len > buf.byteLength) throw new Error('The image data was cut short.');
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len))) as FrameHeader;
  const offset = 4 + len;
  const n = header.rows * header.columns;
  const need = n * ({ u8: 1, u16: 2, i16: 2, f32: 4, rgba: 4 } as const)[header.format];
  if (buf.byteLength - offset < need) throw new Error('The image data was cut short.');
  let values: Frame['values'];
  let rgba: Uint8ClampedArray | null = null;
  switch (header.format) {
    case 'u8': values = new Uint8Array(buf, offset, n); break;
    case 'u16': values = new Uint16Array(buf, offset, n); break;
    case 'i16': values = new Int16Array(buf, offset, n); break;
    case 'f32': values = new Float32Array(buf, offset, n); break;
    case 'rgba':
      rgba = new Uint8ClampedArray(buf, offset, n * 4);
      values = new Uint8Array(0);
      break;
  }
  return { header, values, rgba, bytes: buf.byteLength };
}

/** Grey level 0..255 for modality value x (PS3.3 C.11.2.1.2), as the core computes it. */
export function voi(x: number, center: number, width: number, fn: VoiFunction = 'LINEAR'): number {
  const c = center;
  const w = width;
  let y: number;
  if (fn === 'LINEAR_EXACT') {
    y = x <= c - w / 2 ? 0 : x > c + w / 2 ? 255 : ((x - c) / w + 0.5) * 255;
  } else if (fn === 'SIGMOID') {
    y = 255 / (1 + Math.exp((-4 * (x - c)) / w));
  } else if (x <= c - 0.5 - (w - 1) / 2) {
    y = 0;
  } else if (x > c - 0.5 + (w - 1) / 2 || w <= 1) {
    y = 255;
  } else {
    y = ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
  }
  return Math.min(255, Math.max(0, y));
}

export interface Windowing {
  center: number;
  width: number;
  invert: boolean;
}

const little = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function pack(g: number): number {
  // RGBA bytes in memory order, as ImageData wants them.
  return little ? ((255 << 24) | (g << 16) | (g << 8) | g) >>> 0 : ((g << 24) | (g << 16) | (g << 8) | 255) >>> 0;
}

type Lut = { table: Uint32Array; offset: number };
// The last table: scrolling a series at one window reuses it for every slice.
let lastLut: { key: string; lut: Lut } | null = null;

/** One packed RGBA pixel per stored value, for integer frames. */
export function buildLut(h: FrameHeader, w: Windowing): Lut | null {
  let lo: number;
  let size: number;
  if (h.format === 'u8') { lo = 0; size = 256; }
  else if (h.format === 'u16') { lo = 0; size = 65536; }
  else if (h.format === 'i16') { lo = -32768; size = 65536; }
  else return null;
  const { slope, intercept, function: fn } = h;
  const flip = h.inverted !== w.invert;
  const center = w.center;
  const width = Math.max(1, w.width);
  const key = `${h.format} ${slope} ${intercept} ${fn} ${flip} ${center} ${width}`;
  if (lastLut?.key === key) return lastLut.lut;
  const table = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    let g = Math.round(voi((i + lo) * slope + intercept, center, width, fn));
    if (flip) g = 255 - g;
    table[i] = pack(g);
  }
  const lut = { table, offset: -lo };
  lastLut = { key, lut };
  return lut;
}

/** Writes `frame` through the window into `out` (an ImageData's pixels). */
export function renderFrame(frame: Frame, w: Windowing, out: Uint8ClampedArray): void {
  const h = frame.header;
  const n = h.rows * h.columns;
  if (frame.rgba) {
    out.set(frame.rgba.subarray(0, n * 4));
    if (w.invert) {
      for (let i = 0; i < n * 4; i += 4) {
        out[i] = 255 - out[i];
        out[i + 1] = 255 - out[i + 1];
        out[i + 2] = 255 - out[i + 2];
      }
    }
    return;
  }
  const px = new Uint32Array(out.buffer, out.byteOffset, n);
  const lut = buildLut(h, w);
  const v = frame.values;
  if (lut) {
    const { table, offset } = lut;
    for (let i = 0; i < n; i++) px[i] = table[v[i] + offset];
    return;
  }
  const flip = h.inverted !== w.invert;
  const { slope, intercept, function: fn } = h;
  const center = w.center;
  const width = Math.max(1, w.width);
  for (let i = 0; i < n; i++) {
    let g = Math.round(voi(v[i] * slope + intercept, center, width, fn));
    if (flip) g = 255 - g;
    px[i] = pack(g);
  }
}

/** The modality value at image pixel (col, row); null outside or for colour. */
export function valueAt(frame: Frame, col: number, row: number): number | null {
  const h = frame.header;
  const c = Math.floor(col);
  const r = Math.floor(row);
  if (frame.rgba || c < 0 || r < 0 || c >= h.columns || r >= h.rows) return null;
  return frame.values[r * h.columns + c] * h.slope + h.intercept;
}

/** Dragging by (dx, dy) screen pixels: right widens, down raises the level (as most viewers do). */
export function dragWindow(start: Windowing, dx: number, dy: number, h: FrameHeader): Windowing {
  // One screen pixel moves the window by a fraction of the frame's value range.
  const range = Math.max(1, h.max - h.min);
  const step = range / 512;
  return { ...start, width: Math.max(1, start.width + dx * step), center: start.center + dy * step };
}

export interface Preset { key: string; label: string; center: number; width: number }

/** CT presets in HU, the same as the core's (crates/imaging window.rs). */
export const PRESETS: Preset[] = [
  { key: '1', label: 'Soft tissue', center: 50, width: 350 },
  { key: '2', label: 'Lung', center: -600, width: 1500 },
  { key: '3', label: 'Bone', center: 400, width: 1800 },
  { key: '4', label: 'Brain', center: 40, width: 80 },
  { key: '5', label: 'Abdomen', center: 60, width: 400 },
];

/** Zoom and pan: screen = image × scale + offset. */
export interface View { scale: number; x: number; y: number }

/** The image fitted and centred in a canvas of cw × ch. */
export function fit(cols: number, rows: number, cw: number, ch: number): View {
  const scale = Math.min(cw / cols, ch / rows) || 1;
  return { scale, x: (cw - cols * scale) / 2, y: (ch - rows * scale) / 2 };
}

export const toImage = (v: View, sx: number, sy: number): [number, number] => [(sx - v.x) / v.scale, (sy - v.y) / v.scale];
export const toScreen = (v: View, ix: number, iy: number): [number, number] => [ix * v.scale + v.x, iy * v.scale + v.y];

/** The point of one of `shapes` nearest the screen position (sx, sy),
 * within `radius` screen pixels: what a drag there would move. */
export function nearestHandle(
  shapes: { id: string; points: Point[] }[],
  v: View,
  sx: number,
  sy: number,
  radius: number,
): { id: string; index: number } | null {
  let best: { id: string; index: number } | null = null;
  let nearest = radius;
  for (const s of shapes) {
    for (let index = 0; index < s.points.length; index++) {
      const [x, y] = toScreen(v, s.points[index][0], s.points[index][1]);
      const d = Math.hypot(x - sx, y - sy);
      if (d <= nearest) {
        nearest = d;
        best = { id: s.id, index };
      }
    }
  }
  return best;
}

/** Zooms by `factor` keeping the image point under (sx, sy) in place. */
export function zoomAt(v: View, factor: number, sx: number, sy: number): View {
  const scale = Math.min(40, Math.max(0.05, v.scale * factor));
  const k = scale / v.scale;
  return { scale, x: sx - (sx - v.x) * k, y: sy - (sy - v.y) * k };
}

export type Point = [number, number];

/** Millimetres per pixel along columns (x) and rows (y); null without spacing. */
function mm(spacing: [number, number] | null): { dx: number; dy: number } | null {
  if (!spacing || !(spacing[0] > 0) || !(spacing[1] > 0)) return null;
  return { dx: spacing[1], dy: spacing[0] };
}

export interface Measure { value: number; unit: 'mm' | 'px' }

export function distance(a: Point, b: Point, spacing: [number, number] | null): Measure {
  const s = mm(spacing);
  const dx = (b[0] - a[0]) * (s?.dx ?? 1);
  const dy = (b[1] - a[1]) * (s?.dy ?? 1);
  return { value: Math.hypot(dx, dy), unit: s ? 'mm' : 'px' };
}

/** The angle at `b` between b→a and b→c, in degrees, in physical space. */
export function angle(a: Point, b: Point, c: Point, spacing: [number, number] | null): number {
  const s = mm(spacing) ?? { dx: 1, dy: 1 };
  const u = [(a[0] - b[0]) * s.dx, (a[1] - b[1]) * s.dy];
  const w = [(c[0] - b[0]) * s.dx, (c[1] - b[1]) * s.dy];
  const cos = (u[0] * w[0] + u[1] * w[1]) / (Math.hypot(u[0], u[1]) * Math.hypot(w[0], w[1]));
  if (!Number.isFinite(cos)) return 0;
  return (Math.acos(Math.min(1, Math.max(-1, cos))) * 180) / Math.PI;
}

export interface RoiStats { area: number; unit: 'mm²' | 'px²'; pixels: number; mean: number | null; sd: number | null }

/** The ellipse inscribed in the box a–b: its area, and the mean and SD of the pixels whose centres lie inside. */
export function roi(a: Point, b: Point, frame: Frame | null, spacing: [number, number] | null): RoiStats {
  const s = mm(spacing);
  const rx = Math.abs(b[0] - a[0]) / 2;
  const ry = Math.abs(b[1] - a[1]) / 2;
  const cx = (a[0] + b[0]) / 2;
  const cy = (a[1] + b[1]) / 2;
  const area = Math.PI * rx * ry * (s ? s.dx * s.dy : 1);
  let n = 0;
  let sum = 0;
  let sq = 0;
  if (frame && !frame.rgba && rx > 0 && ry > 0) {
    const h = frame.header;
    const r0 = Math.max(0, Math.floor(cy - ry));
    const r1 = Math.min(h.rows - 1, Math.ceil(cy + ry));
    const c0 = Math.max(0, Math.floor(cx - rx));
    const c1 = Math.min(h.columns - 1, Math.ceil(cx + rx));
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const ex = (c + 0.5 - cx) / rx;
        const ey = (r + 0.5 - cy) / ry;
        if (ex * ex + ey * ey > 1) continue;
        const v = frame.values[r * h.columns + c] * h.slope + h.intercept;
        n++;
        sum += v;
        sq += v * v;
      }
    }
  }
  const mean = n ? sum / n : null;
  const sd = n ? Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) : null;
  return { area, unit: s ? 'mm²' : 'px²', pixels: n, mean, sd };
}

/** A number for the overlay: no more decimals than it deserves. */
export function num(x: number, digits = 1): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(digits);
}

/**
 * The first position after `index` (wrapping round) that `skip` does not
 * rule out, or -1. The look-ahead asks again after every load, so it
 * follows a reader who moves on meanwhile without leaving gaps behind them.
 */
export function nextToFetch(count: number, index: number, skip: (i: number) => boolean): number {
  for (let step = 1; step < count; step++) {
    const i = (index + step) % count;
    if (!skip(i)) return i;
  }
  return -1;
}

/**
 * `points` moved together by (dx, dy) image pixels, as far as the image
 * allows: the shape keeps its form and stays inside columns × rows.
 */
export function nudge(points: Point[], dx: number, dy: number, columns: number, rows: number): Point[] {
  if (points.length === 0) return points;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const mx = Math.max(-Math.min(...xs), Math.min(dx, columns - Math.max(...xs)));
  const my = Math.max(-Math.min(...ys), Math.min(dy, rows - Math.max(...ys)));
  return points.map(([x, y]) => [x + mx, y + my]);
}

/**
 * One request per key while it is in flight: the reader and the look-ahead
 * asking for the same frame share it instead of fetching it twice.
 */
export class InFlight<T> {
  private pending = new Map<string, Promise<T>>();

  run(key: string, start: () => Promise<T>): Promise<T> {
    const running = this.pending.get(key);
    if (running) return running;
    const p = start().finally(() => {
      if (this.pending.get(key) === p) this.pending.delete(key);
    });
    this.pending.set(key, p);
    return p;
  }

  clear(): void {
    this.pending.clear();
  }
}

/** Keeps decoded frames up to a memory budget, dropping the least recently used. */
export class FrameCache {
  private map = new Map<string, Frame>();
  private used = 0;
  constructor(private budget: number) {}

  get(key: string): Frame | undefined {
    const f = this.map.get(key);
    if (f) {
      this.map.delete(key);
      this.map.set(key, f);
    }
    return f;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, f: Frame): void {
    const old = this.map.get(key);
    if (old) {
      this.used -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, f);
    this.used += f.bytes;
    for (const [k, v] of this.map) {
      if (this.used <= this.budget || k === key) break;
      this.map.delete(k);
      this.used -= v.bytes;
    }
  }

  get bytes(): number {
    return this.used;
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}
