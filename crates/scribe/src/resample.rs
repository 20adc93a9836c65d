//! A windowed-sinc resampler (Blackman-Harris window), streaming so the
//! microphone can feed it block by block. Whisper wants 16 kHz mono.

use std::f64::consts::PI;

/// Zero crossings of the sinc on each side of a tap: a transition band of
/// about 5% of the lower Nyquist rate, and stop-band attenuation near 90 dB.
const HALF_WIDTH: usize = 32;
/// Kernel table resolution (points per zero crossing), linearly interpolated.
const TABLE_RES: usize = 512;
/// The cut-off as a fraction of the lower Nyquist rate, leaving room for the
/// transition band so little aliases back.
const CUTOFF: f64 = 0.95;

pub struct Resampler {
    from: u32,
    to: u32,
    /// Input samples per output sample.
    step: f64,
    /// Cut-off relative to the input rate's Nyquist frequency.
    scale: f64,
    table: Vec<f32>,
    /// For rates in a small ratio (every rate a sound card or file uses),
    /// the kernel's taps precomputed for each position an output sample
    /// can fall at between two input samples.
    phases: Option<Phases>,
    /// Input not yet fully used, beginning at absolute index `base`.
    buf: Vec<f32>,
    base: u64,
    /// Next output sample's index.
    produced: u64,
    /// Input samples pushed so far.
    pushed: u64,
}

impl Resampler {
    pub fn new(from: u32, to: u32) -> Self {
        let scale = (f64::from(to) / f64::from(from)).min(1.0) * CUTOFF;
        let n = HALF_WIDTH * TABLE_RES;
        let table = (0..=n + 1)
            .map(|i| {
                let x = i as f64 / TABLE_RES as f64;
                let sinc = if x == 0.0 {
                    1.0
                } else {
                    (PI * x).sin() / (PI * x)
                };
                // Blackman-Harris over [-HALF_WIDTH, HALF_WIDTH].
                let t = 0.5 + x / (2.0 * HALF_WIDTH as f64);
                let w = if x > HALF_WIDTH as f64 {
                    0.0
                } else {
                    0.35875 - 0.48829 * (2.0 * PI * t).cos() + 0.14128 * (4.0 * PI * t).cos()
                        - 0.01168 * (6.0 * PI * t).cos()
                };
                (sinc * w) as f32
            })
            .collect();
        let mut r = Resampler {
            from,
            to,
            step: f64::from(from) / f64::from(to),
            scale,
            table,
            phases: None,
            buf: Vec::new(),
            base: 0,
            produced: 0,
            pushed: 0,
        };
        r.phases = Phases::new(&r);
        r
    }

    /// The kernel at `pos` table points from its centre (either side).
    fn kernel(&self, pos: f64) -> f32 {
        let pos = pos.abs();
        let i = pos as usize;
        if i + 1 >= self.table.len() {
            return 0.0;
        }
        let frac = (pos - i as f64) as f32;
        self.table[i] * (1.0 - frac) + self.table[i + 1] * frac
    }

    /// Input samples on each side of an output sample's centre.
    fn reach(&self) -> f64 {
        HALF_WIDTH as f64 / self.scale
    }

    /// Output sample `n`, centred at input position `n · from / to`.
    fn output(&self, n: u64) -> f32 {
        match &self.phases {
            Some(p) => p.sample(self, n),
            None => self.sample_at(n as f64 * self.step),
        }
    }

    fn sample_at(&self, centre: f64) -> f32 {
        let reach = self.reach();
        let first = (centre - reach).ceil().max(0.0) as u64;
        let last = (centre + reach).floor() as u64;
        // Only input still held counts: what is before `base` is no longer
        // needed by construction, and past the end is silence.
        let end = self.base + self.buf.len() as u64;
        let (lo, hi) = (first.max(self.base), (last + 1).min(end));
        if lo >= hi {
            return 0.0;
        }
        let taps = &self.buf[(lo - self.base) as usize..(hi - self.base) as usize];
        // The kernel position walks by a fixed step from tap to tap.
        let step = self.scale * TABLE_RES as f64;
        let mut pos = (lo as f64 - centre) * step;
        let mut acc = 0.0f32;
        for &x in taps {
            acc += x * self.kernel(pos);
            pos += step;
        }
        acc * self.scale as f32
    }

    /// Adds input and returns the output it completes.
    pub fn push(&mut self, input: &[f32]) -> Vec<f32> {
        if self.from == self.to {
            return input.to_vec();
        }
        self.buf.extend_from_slice(input);
        self.pushed += input.len() as u64;
        self.drain(self.pushed as f64 - 1.0 - self.reach())
    }

    /// Flushes the tail (zero-padded past the end of the input).
    pub fn finish(&mut self) -> Vec<f32> {
        if self.from == self.to {
            return Vec::new();
        }
        // Output covers exactly the input's duration.
        let total = (self.pushed as f64 / self.step).round();
        let mut out = Vec::new();
        while (self.produced as f64) < total {
            out.push(self.output(self.produced));
            self.produced += 1;
        }
        out
    }

    fn drain(&mut self, last_centre: f64) -> Vec<f32> {
        let mut out = Vec::new();
        loop {
            let centre = self.produced as f64 * self.step;
            if centre > last_centre {
                break;
            }
            out.push(self.output(self.produced));
            self.produced += 1;
        }
        // Drop input no future output sample can reach.
        let next = self.produced as f64 * self.step;
        let keep_from = (next - self.reach()).floor().max(0.0) as u64;
        if keep_from > self.base {
            let drop = ((keep_from - self.base) as usize).min(self.buf.len());
            self.buf.drain(..drop);
            self.base += drop as u64;
        }
        out
    }
}

/// The kernel sampled once per phase: output sample `n` lies
/// `(n · from mod to) / to` of the way from input sample `⌊n · from / to⌋`
/// to the next, one of `to / gcd` positions, so its taps are a plain dot
/// product with the input.
struct Phases {
    /// `from / gcd` and `to / gcd`.
    from: u64,
    to: u64,
    /// Offset of the first tap from `⌊centre⌋`, the same for every phase.
    first: i64,
    /// `to` rows of `width` taps, scale included.
    taps: Vec<f32>,
    width: usize,
}

impl Phases {
    /// At most this many phases (a table of about 4 MB at 48 → 16 kHz's
    /// widest kernel); odd ratios use the interpolated kernel instead.
    const MAX: u64 = 4096;

    fn new(r: &Resampler) -> Option<Phases> {
        let g = gcd(u64::from(r.from), u64::from(r.to));
        let (from, to) = (u64::from(r.from) / g, u64::from(r.to) / g);
        if to > Self::MAX {
            return None;
        }
        let reach = r.reach();
        let first = (-reach).ceil() as i64;
        let width = (1.0 + reach).floor() as i64 - first + 1;
        let width = usize::try_from(width).ok()?;
        let step = r.scale * TABLE_RES as f64;
        let mut taps = Vec::with_capacity(to as usize * width);
        for phase in 0..to {
            let frac = phase as f64 / to as f64;
            for i in 0..width {
                let offset = (first + i as i64) as f64 - frac;
                taps.push(if offset.abs() <= reach {
                    r.kernel(offset * step) * r.scale as f32
                } else {
                    0.0
                });
            }
        }
        Some(Phases {
            from,
            to,
            first,
            taps,
            width,
        })
    }

    fn sample(&self, r: &Resampler, n: u64) -> f32 {
        let whole = n * self.from;
        let (k, phase) = (whole / self.to, (whole % self.to) as usize);
        let taps = &self.taps[phase * self.width..(phase + 1) * self.width];
        let start = k as i64 + self.first - r.base as i64;
        let end = start + self.width as i64;
        if start >= 0 && end <= r.buf.len() as i64 {
            let input = &r.buf[start as usize..end as usize];
            return dot(input, taps);
        }
        // At the edges: input before the start or past the end is silence.
        (start..end)
            .zip(taps)
            .filter_map(|(j, t)| {
                usize::try_from(j)
                    .ok()
                    .and_then(|j| r.buf.get(j))
                    .map(|x| x * t)
            })
            .sum()
    }
}

/// A dot product the compiler turns into vector code: eight lanes summed
/// apart, then together.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for ((lane, x), y) in lanes.iter_mut().zip(x).zip(y) {
            *lane += x * y;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Resamples a whole signal.
pub fn resample(input: &[f32], from: u32, to: u32) -> Vec<f32> {
    let mut r = Resampler::new(from, to);
    let mut out = r.push(input);
    out.extend(r.finish());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f64, rate: u32, secs: f64) -> Vec<f32> {
        (0..(f64::from(rate) * secs) as usize)
            .map(|i| (2.0 * PI * freq * i as f64 / f64::from(rate)).sin() as f32)
            .collect()
    }

    /// Amplitude of `freq` in `x` (a single DFT bin, Goertzel-free).
    fn amplitude(x: &[f32], freq: f64, rate: u32) -> f64 {
        let (mut re, mut im) = (0.0, 0.0);
        for (i, &v) in x.iter().enumerate() {
            let a = 2.0 * PI * freq * i as f64 / f64::from(rate);
            re += f64::from(v) * a.cos();
            im += f64::from(v) * a.sin();
        }
        2.0 * (re * re + im * im).sqrt() / x.len() as f64
    }

    #[test]
    fn a_sine_keeps_its_frequency_and_level() {
        for from in [44_100, 48_000, 22_050, 8_000] {
            let x = sine(440.0, from, 1.0);
            let y = resample(&x, from, 16_000);
            assert_eq!(y.len(), 16_000, "{from} Hz");
            // Compare away from the edges, where the kernel is cut off.
            let mid = &y[2_000..14_000];
            let at_440 = amplitude(mid, 440.0, 16_000);
            let at_550 = amplitude(mid, 550.0, 16_000);
            assert!((at_440 - 1.0).abs() < 0.01, "{from} Hz: 440 Hz at {at_440}");
            assert!(at_550 < 0.01, "{from} Hz: 550 Hz at {at_550}");
        }
    }

    #[test]
    fn frequencies_above_the_new_nyquist_are_removed() {
        // 10 kHz at 48 kHz would alias to 6 kHz at 16 kHz.
        let y = resample(&sine(10_000.0, 48_000, 1.0), 48_000, 16_000);
        let alias = amplitude(&y[2_000..14_000], 6_000.0, 16_000);
        assert!(alias < 0.001, "alias at {alias}");
    }

    #[test]
    fn precomputed_phases_match_the_interpolated_kernel() {
        for from in [44_100, 48_000, 22_050, 8_000, 11_025] {
            let x = sine(523.0, from, 0.3);
            let fast = resample(&x, from, 16_000);
            let mut plain = Resampler::new(from, 16_000);
            assert!(plain.phases.is_some(), "{from} Hz");
            plain.phases = None;
            let mut slow = plain.push(&x);
            slow.extend(plain.finish());
            assert_eq!(fast.len(), slow.len(), "{from} Hz");
            for (a, b) in fast.iter().zip(&slow) {
                assert!((a - b).abs() < 1e-4, "{from} Hz: {a} against {b}");
            }
        }
        // A ratio with too many phases keeps the interpolated kernel.
        assert!(Resampler::new(44_101, 16_000).phases.is_none());
    }

    #[test]
    fn streaming_matches_one_shot() {
        let x = sine(300.0, 44_100, 0.5);
        let whole = resample(&x, 44_100, 16_000);
        let mut r = Resampler::new(44_100, 16_000);
        let mut parts = Vec::new();
        for block in x.chunks(1_000) {
            parts.extend(r.push(block));
        }
        parts.extend(r.finish());
        assert_eq!(whole.len(), parts.len());
        for (a, b) in whole.iter().zip(&parts) {
            assert!((a - b).abs() < 1e-6);
        }
    }
}
