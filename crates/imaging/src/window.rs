//! Windowing: modality values to display grey levels (PS3.3 C.11.2.1.2),
//! evaluated once per stored value into a lookup table, not per pixel.

use crate::error::{ImagingError, Result};
use serde::Serialize;

/// VOI LUT Function (0028,1056): how a window maps values to grey levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VoiFunction {
    #[default]
    Linear,
    LinearExact,
    Sigmoid,
}

impl VoiFunction {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim_matches([' ', '\0']) {
            "LINEAR" => Self::Linear,
            "LINEAR_EXACT" => Self::LinearExact,
            "SIGMOID" => Self::Sigmoid,
            _ => return None,
        })
    }
}

/// Window presets for CT, in Hounsfield units (centre, width).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Lung,
    Bone,
    Brain,
    Abdomen,
    SoftTissue,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Lung,
        Preset::Bone,
        Preset::Brain,
        Preset::Abdomen,
        Preset::SoftTissue,
    ];

    /// (centre, width) in HU: the usual CT reading windows.
    pub fn center_width(self) -> (f64, f64) {
        match self {
            Preset::Lung => (-600.0, 1500.0),
            Preset::Bone => (400.0, 1800.0),
            Preset::Brain => (40.0, 80.0),
            Preset::Abdomen => (60.0, 400.0),
            Preset::SoftTissue => (50.0, 350.0),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Lung => "lung",
            Preset::Bone => "bone",
            Preset::Brain => "brain",
            Preset::Abdomen => "abdomen",
            Preset::SoftTissue => "soft-tissue",
        }
    }

    /// Accepts the names above, `soft_tissue` and any case.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        Preset::ALL.into_iter().find(|p| p.name() == s)
    }
}

/// Which window to render with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// The file's first Window Center/Width (with its VOI LUT Function),
    /// else its first VOI LUT, else the frame's full range of values.
    FileDefault,
    /// A linear window, centre and width in modality units.
    Custom { center: f64, width: f64 },
}

impl Window {
    pub fn from_file_default() -> Self {
        Window::FileDefault
    }

    pub fn preset(p: Preset) -> Self {
        let (center, width) = p.center_width();
        Window::Custom { center, width }
    }

    pub fn custom(center: f64, width: f64) -> Self {
        Window::Custom { center, width }
    }
}

/// A window function ready to evaluate: PS3.3 C.11.2.1.2 with output
/// range 0..=255.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Linear {
    pub center: f64,
    pub width: f64,
    pub function: VoiFunction,
}

impl Linear {
    pub fn new(center: f64, width: f64, function: VoiFunction) -> Result<Self> {
        let ok = center.is_finite()
            && width.is_finite()
            && match function {
                // C.11.2.1.2.1: the width of a LINEAR window is at least 1.
                VoiFunction::Linear => width >= 1.0,
                VoiFunction::LinearExact | VoiFunction::Sigmoid => width > 0.0,
            };
        if !ok {
            return Err(ImagingError::InvalidWindow(format!(
                "centre {center}, width {width} ({function:?}): the width must be at least 1 (LINEAR) or above 0"
            )));
        }
        Ok(Linear {
            center,
            width,
            function,
        })
    }

    /// Grey level 0..=255 for modality value `x`.
    pub fn eval(&self, x: f64) -> f64 {
        let (c, w) = (self.center, self.width);
        let y = match self.function {
            VoiFunction::Linear => {
                if x <= c - 0.5 - (w - 1.0) / 2.0 {
                    0.0
                } else if x > c - 0.5 + (w - 1.0) / 2.0 {
                    255.0
                } else if w <= 1.0 {
                    // Width 1 is a threshold; the formula would divide by 0.
                    255.0
                } else {
                    ((x - (c - 0.5)) / (w - 1.0) + 0.5) * 255.0
                }
            }
            VoiFunction::LinearExact => {
                if x <= c - w / 2.0 {
                    0.0
                } else if x > c + w / 2.0 {
                    255.0
                } else {
                    ((x - c) / w + 0.5) * 255.0
                }
            }
            VoiFunction::Sigmoid => 255.0 / (1.0 + (-4.0 * (x - c) / w).exp()),
        };
        y.clamp(0.0, 255.0)
    }
}

/// A VOI LUT from the VOI LUT Sequence (0028,3010).
#[derive(Debug, Clone)]
pub(crate) struct VoiLut {
    pub first: i64,
    pub bits: u32,
    pub data: Vec<u16>,
}

impl VoiLut {
    pub fn eval(&self, x: f64) -> f64 {
        let last = self.data.len().saturating_sub(1);
        let i = (x.round() as i64)
            .saturating_sub(self.first)
            .clamp(0, last as i64) as usize;
        let max = ((1u64 << self.bits.clamp(1, 16)) - 1) as f64;
        let v = self.data.get(i).copied().unwrap_or(0) as f64;
        (v / max * 255.0).clamp(0.0, 255.0)
    }
}

/// How modality values become grey levels for one render.
#[derive(Debug, Clone)]
pub(crate) enum Voi {
    Window(Linear),
    Lut(VoiLut),
}

impl Voi {
    pub fn eval(&self, x: f64) -> f64 {
        match self {
            Voi::Window(l) => l.eval(x),
            Voi::Lut(l) => l.eval(x),
        }
    }
}

/// 8-bit RGBA pixels, row by row, for the viewer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RgbaFrame {
    pub width: u32,
    pub height: u32,
    /// width × height × 4 bytes: R, G, B, A (always 255).
    pub pixels: Vec<u8>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_window_follows_the_standard() {
        // C.11.2.1.2.1 with c = 40, w = 400: black up to -160, white above 239.
        let l = Linear::new(40.0, 400.0, VoiFunction::Linear).unwrap();
        assert_eq!(l.eval(-160.0), 0.0);
        assert!(l.eval(-159.5) > 0.0);
        assert_eq!(l.eval(-1000.0), 0.0);
        assert_eq!(l.eval(240.0), 255.0);
        assert!((l.eval(39.5) - 127.5).abs() < 1e-9);
        let e = Linear::new(40.0, 400.0, VoiFunction::LinearExact).unwrap();
        assert_eq!(e.eval(-160.0), 0.0);
        assert!((e.eval(40.0) - 127.5).abs() < 1e-9);
        let s = Linear::new(40.0, 400.0, VoiFunction::Sigmoid).unwrap();
        assert!((s.eval(40.0) - 127.5).abs() < 1e-9);
        // One width above the centre: 255 / (1 + e^-4).
        assert!((s.eval(440.0) - 250.42).abs() < 0.01);
    }

    #[test]
    fn narrow_and_broken_windows() {
        let t = Linear::new(100.0, 1.0, VoiFunction::Linear).unwrap();
        assert_eq!(t.eval(99.0), 0.0);
        assert_eq!(t.eval(100.0), 255.0);
        assert!(Linear::new(0.0, 0.5, VoiFunction::Linear).is_err());
        assert!(Linear::new(0.0, 0.0, VoiFunction::Sigmoid).is_err());
        assert!(Linear::new(f64::NAN, 10.0, VoiFunction::Linear).is_err());
    }

    #[test]
    fn presets_parse_by_name() {
        assert_eq!(Preset::parse("Soft_Tissue"), Some(Preset::SoftTissue));
        assert_eq!(Preset::parse("lung"), Some(Preset::Lung));
        assert_eq!(Preset::parse("liver"), None);
        assert_eq!(Window::preset(Preset::Brain), Window::custom(40.0, 80.0));
    }

    #[test]
    fn voi_lut_clamps_outside_its_input_range() {
        let l = VoiLut {
            first: -10,
            bits: 8,
            data: vec![0, 128, 255],
        };
        assert_eq!(l.eval(-100.0), 0.0);
        assert_eq!(l.eval(-9.0), 128.0);
        assert_eq!(l.eval(1e9), 255.0);
    }
}
