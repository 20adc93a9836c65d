//! `dicom info` and `dicom render`: look inside DICOM images, files
//! without a store or instances stored in it by SOP Instance UID, and
//! render a frame the way the viewer does. The store's studies, imports
//! and the PACS are in `imaging`.

use super::imaging::{self, ImagingCmd};
use crate::context::{Ctx, Global};
use crate::error::{CliError, Result};
use crate::output::{fields, table, Printer};
use clinicdesk_imaging::{Image, ImageInfo, ImagingError, Preset, TagEntry, Window};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum DicomCmd {
    /// Show the patient, study, series and instance identifiers, the image
    /// layout, transfer syntax and stored windows of a DICOM file
    Info {
        /// A DICOM Part 10 file, or the SOP Instance UID of a stored instance
        /// (needs --user; the read is audited)
        #[arg(value_name = "FILE|UID")]
        file: PathBuf,
        /// Also list every element (tag, VR, keyword, value)
        #[arg(long)]
        tags: bool,
    },
    /// Render one frame to a PNG through a window (the file's own by
    /// default: its Window Center/Width, else its VOI LUT, else the full range)
    Render {
        /// A DICOM Part 10 file, or the SOP Instance UID of a stored instance
        /// (needs --user; the read is audited)
        #[arg(value_name = "FILE|UID")]
        file: PathBuf,
        /// The frame to render, from 0
        #[arg(long, default_value_t = 0)]
        frame: u32,
        /// A window as CENTER,WIDTH in modality units (HU for CT), e.g. -600,1500
        #[arg(
            long,
            value_name = "C,W",
            allow_hyphen_values = true,
            conflicts_with = "preset"
        )]
        window: Option<String>,
        /// A CT window preset: lung, bone, brain, abdomen, soft-tissue
        #[arg(long, value_name = "NAME")]
        preset: Option<String>,
        /// The PNG file to write
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
    },
    #[command(flatten)]
    Store(ImagingCmd),
}

pub fn run(g: &Global, cmd: DicomCmd) -> Result<()> {
    let p = g.printer();
    match cmd {
        DicomCmd::Info { file, tags } => info(g, p, &file, tags),
        DicomCmd::Render {
            file,
            frame,
            window,
            preset,
            out,
        } => render(
            g,
            p,
            &file,
            frame,
            window.as_deref(),
            preset.as_deref(),
            &out,
        ),
        DicomCmd::Store(c) => imaging::run(&mut Ctx::open(g)?, c),
    }
}

/// Whether `s` can only be a UID (digits and dots), not a file name.
fn is_uid(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
}

/// A file, or else a stored instance by SOP Instance UID (read audited).
fn open(g: &Global, file: &Path) -> Result<Image> {
    let uid = file.to_str().filter(|s| is_uid(s));
    if let (Some(uid), false) = (uid, file.exists()) {
        let mut ctx = Ctx::open(g)?;
        let stored = ctx.store.instance_file(&ctx.session, uid)?;
        return Image::from_bytes(&stored.bytes)
            .map_err(|e| CliError::failed(format!("stored instance {uid}: {e}")));
    }
    Image::open(file).map_err(|e| match e {
        // Already names the file.
        ImagingError::Io { .. } => CliError::failed(e.to_string()),
        e => CliError::failed(format!("{}: {e}", file.display())),
    })
}

#[derive(Serialize)]
struct InfoReport<'a> {
    file: String,
    #[serde(flatten)]
    info: &'a ImageInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<Vec<TagEntry>>,
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn info(g: &Global, p: Printer, file: &Path, with_tags: bool) -> Result<()> {
    let image = open(g, file)?;
    let tags = if with_tags {
        let tags = image
            .tags()
            .map_err(|e| CliError::failed(format!("{}: {e}", file.display())))?;
        Some(tags)
    } else {
        None
    };
    let report = InfoReport {
        file: file.display().to_string(),
        info: image.info(),
        tags,
    };
    p.show(&report, |r| {
        let i = r.info;
        let windows = i
            .windows
            .iter()
            .map(|w| match &w.explanation {
                Some(e) => format!("{},{} ({e})", w.center, w.width),
                None => format!("{},{}", w.center, w.width),
            })
            .collect::<Vec<_>>()
            .join("; ");
        let bits = format!(
            "{} stored of {} allocated, {}",
            i.bits_stored,
            i.bits_allocated,
            if i.signed { "signed" } else { "unsigned" }
        );
        let mut out = fields(&[
            ("patient", opt(&i.patient_name)),
            ("patient id", opt(&i.patient_id)),
            ("study", opt(&i.study_instance_uid)),
            ("study date", opt(&i.study_date)),
            ("study description", opt(&i.study_description)),
            ("series", opt(&i.series_instance_uid)),
            ("series number", opt(&i.series_number)),
            ("series description", opt(&i.series_description)),
            ("instance", opt(&i.sop_instance_uid)),
            ("instance number", opt(&i.instance_number)),
            ("sop class", opt(&i.sop_class_uid)),
            ("modality", opt(&i.modality)),
            ("size", format!("{} × {}", i.columns, i.rows)),
            ("frames", i.frames.to_string()),
            (
                "transfer syntax",
                format!("{} ({})", i.transfer_syntax, i.transfer_syntax_uid),
            ),
            ("photometric", i.photometric.name().to_string()),
            ("bits", bits),
            (
                "pixel spacing",
                i.pixel_spacing
                    .map(|[r, c]| format!("{r} × {c} mm"))
                    .unwrap_or_default(),
            ),
            (
                "rescale",
                format!(
                    "slope {}, intercept {}",
                    i.rescale_slope, i.rescale_intercept
                ),
            ),
            ("windows", windows),
            (
                "voi luts",
                if i.voi_luts > 0 {
                    i.voi_luts.to_string()
                } else {
                    String::new()
                },
            ),
            (
                "slice location",
                i.slice_location.map(|s| s.to_string()).unwrap_or_default(),
            ),
        ]);
        if let Some(tags) = &r.tags {
            let rows: Vec<[String; 4]> = tags
                .iter()
                .map(|t| {
                    let indent = "  ".repeat(t.depth as usize);
                    [
                        format!("{indent}{}", t.tag),
                        t.vr.clone(),
                        t.keyword.clone(),
                        t.value.clone(),
                    ]
                })
                .collect();
            out.push('\n');
            out.push_str(&table(["TAG", "VR", "KEYWORD", "VALUE"], &rows));
        }
        out
    })
}

fn parse_window(s: &str) -> Result<Window> {
    let bad = || {
        CliError::usage(format!(
            "--window wants CENTER,WIDTH (e.g. -600,1500), not {s:?}"
        ))
    };
    let (c, w) = s.split_once(',').ok_or_else(bad)?;
    let c: f64 = c.trim().parse().map_err(|_| bad())?;
    let w: f64 = w.trim().parse().map_err(|_| bad())?;
    if !c.is_finite() || !w.is_finite() || w < 1.0 {
        return Err(CliError::usage(format!(
            "--window {s}: the width must be a number of at least 1"
        )));
    }
    Ok(Window::custom(c, w))
}

#[derive(Serialize)]
struct RenderReport {
    file: String,
    frame: u32,
    out: String,
    width: u32,
    height: u32,
    window: String,
}

fn render(
    g: &Global,
    p: Printer,
    file: &Path,
    frame: u32,
    window: Option<&str>,
    preset: Option<&str>,
    out: &Path,
) -> Result<()> {
    let (win, described) = match (window, preset) {
        (Some(w), _) => (parse_window(w)?, w.to_string()),
        (None, Some(name)) => {
            let preset = Preset::parse(name).ok_or_else(|| {
                let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
                CliError::usage(format!(
                    "unknown preset {name:?}; the presets are {}",
                    names.join(", ")
                ))
            })?;
            let (c, w) = preset.center_width();
            (
                Window::preset(preset),
                format!("{} ({c},{w})", preset.name()),
            )
        }
        (None, None) => (Window::from_file_default(), "file default".to_string()),
    };
    let image = open(g, file)?;
    let rgba = image
        .render_rgba(frame, win)
        .map_err(|e| CliError::failed(format!("{}: {e}", file.display())))?;
    write_png(out, rgba.width, rgba.height, &rgba.pixels)?;
    let report = RenderReport {
        file: file.display().to_string(),
        frame,
        out: out.display().to_string(),
        width: rgba.width,
        height: rgba.height,
        window: described,
    };
    p.show(&report, |r| {
        format!(
            "frame {} of {} ({} × {}, window {}) written to {}\n",
            r.frame, r.file, r.width, r.height, r.window, r.out
        )
    })
}

fn write_png(out: &Path, width: u32, height: u32, rgba: &[u8]) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| {
        CliError::failed(format!("could not write {}: {e}", out.display()))
    };
    let f = std::fs::File::create(out).map_err(|e| failed(&e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(f), width, height);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    // Fast compression: the PNG is a preview, written once per render.
    enc.set_compression(png::Compression::Fast);
    let mut w = enc.write_header().map_err(|e| failed(&e))?;
    w.write_image_data(rgba).map_err(|e| failed(&e))?;
    w.finish().map_err(|e| failed(&e))
}
