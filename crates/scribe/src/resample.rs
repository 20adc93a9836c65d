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
        Resampler {
            from,
            to,
            step: f64::from(from) / f64::from(to),
            scale,
            table,
            buf: Vec::new(),
            base: 0,
            produced: 0,
            pushed: 0,
        }
    }

    fn kernel(&self, x: f64) -> f32 {
        let pos = x.abs() * TABLE_RES as f64;
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

    fn sample_at(&self, centre: f64) -> f32 {
        let reach = self.reach();
        let first = (centre - reach).ceil().max(0.0) as u64;
        let last = (centre + reach).floor() as u64;
        let mut acc = 0.0f32;
        for j in first..=last {
            let Some(&x) = j
                .checked_sub(self.base)
                .and_then(|k| self.buf.get(k as usize))
            else {
                continue;
            };
            acc += x * self.kernel((j as f64 - centre) * self.scale);
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
            let centre = self.produced as f64 * self.step;
            out.push(self.sample_at(centre));
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
            out.push(self.sample_at(centre));
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
