//! The image viewer's side of the app: series opened for viewing, their
//! frames sent to the window as raw values, tags, PNG export, and imports
//! (files, folders, discs, the PACS) on a worker thread with progress.
//!
//! The viewer keeps a store connection of its own, so scrolling through a
//! series never waits behind the desk's lock, and an import runs on yet
//! another connection, so images stay viewable while a disc is read.

use crate::desk::SharedUnlock;
use crate::error::DeskError;
use crate::Result;
use clinicdesk_archive::pacs::{PacsClient, PacsError, StudyMatch, StudyQuery};
use clinicdesk_archive::{import_paths, ImportReport, Phase, Progress};
use clinicdesk_imaging::{Image, Photometric, Samples, TagEntry, VoiFunction, Window};
use clinicdesk_keys::Keychain;
use clinicdesk_store::{SeriesAccess, Session, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Deserialize)]
pub struct SeriesRef {
    pub series_uid: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FrameRef {
    pub series_uid: String,
    pub sop_instance_uid: String,
    #[serde(default)]
    pub frame: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ExportInput {
    pub series_uid: String,
    pub sop_instance_uid: String,
    #[serde(default)]
    pub frame: u32,
    /// The window on screen; the file's own when absent.
    pub center: Option<f64>,
    pub width: Option<f64>,
    #[serde(default)]
    pub invert: bool,
    /// Where to write the PNG (from the save dialog).
    pub path: String,
    /// What the screen draws over the image (measurements, annotations, the
    /// patient and study corners), as a base64 PNG of the image's own size
    /// with a transparent background; laid over the picture when given.
    #[serde(default)]
    pub overlay_png: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub path: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImportImagesInput {
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PacsSearchInput {
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    /// `YYYY-MM-DD`, or a range `YYYY-MM-DD..YYYY-MM-DD` (either end open).
    pub study_date: Option<String>,
    pub modality: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RetrieveInput {
    pub study_uid: String,
}

/// How values in a frame message are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameFormat {
    U8,
    U16,
    I16,
    F32,
    /// Already rendered grey or colour, 4 bytes a pixel.
    Rgba,
}

/// The header of a frame message. The window applies the window itself
/// (a lookup table rebuilt on each drag), so dragging needs no round trip.
#[derive(Debug, Clone, Serialize)]
pub struct FrameHeader {
    pub rows: u32,
    pub columns: u32,
    pub format: FrameFormat,
    /// Modality value = stored × slope + intercept.
    pub slope: f64,
    pub intercept: f64,
    /// The file's window, else one spanning the frame's values.
    pub center: f64,
    pub width: f64,
    pub function: VoiFunction,
    /// The file's window as given (the "Default" preset).
    pub file_window: bool,
    /// MONOCHROME1: low values are white.
    pub inverted: bool,
    /// Smallest and largest modality value in the frame.
    pub min: f64,
    pub max: f64,
    /// Row and column spacing in mm; absent when the file does not say.
    pub pixel_spacing: Option<[f64; 2]>,
    pub slice_location: Option<f64>,
    pub frames: u32,
    pub photometric: &'static str,
    pub modality: Option<String>,
    /// Rescale Type, or HU for CT.
    pub units: Option<String>,
    /// Why windowing is off for this frame (colour, the file's own lookup table).
    pub fixed: Option<String>,
}

impl FrameHeader {
    /// The header of an already rendered RGBA picture of `image`, rows × columns.
    fn rendered(image: &Image, rows: u32, columns: u32) -> FrameHeader {
        let info = image.info();
        FrameHeader {
            rows,
            columns,
            format: FrameFormat::Rgba,
            slope: 1.0,
            intercept: 0.0,
            center: 127.5,
            width: 256.0,
            function: VoiFunction::Linear,
            file_window: false,
            inverted: false,
            min: 0.0,
            max: 255.0,
            pixel_spacing: None,
            slice_location: info.slice_location,
            frames: image.frames(),
            photometric: info.photometric.name(),
            modality: info.modality.clone(),
            units: None,
            fixed: None,
        }
    }
}

/// A frame message: a little-endian u32 header length, the JSON header
/// padded with spaces to a multiple of 8 bytes, then the values.
pub fn frame_message(header: &FrameHeader, values: &[u8]) -> Vec<u8> {
    let mut json = serde_json::to_vec(header).unwrap_or_else(|_| b"{}".to_vec());
    while !(json.len() + 4).is_multiple_of(8) {
        json.push(b' ');
    }
    let mut out = Vec::with_capacity(4 + json.len() + values.len());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(values);
    out
}

fn invalid(e: clinicdesk_imaging::ImagingError) -> DeskError {
    DeskError::new("invalid", format!("This image cannot be shown: {e}"))
}

/// One frame of `image`, as the window draws it.
pub fn frame_for_window(image: &Image, frame: u32) -> Result<Vec<u8>> {
    let info = image.info();
    if frame >= image.frames() {
        return Err(DeskError::new(
            "not-found",
            format!(
                "This image has {} frames; there is no frame {}",
                image.frames(),
                frame + 1
            ),
        ));
    }
    let mut header = FrameHeader::rendered(image, info.rows, info.columns);
    header.pixel_spacing = info.pixel_spacing;
    header.units = info
        .modality
        .as_deref()
        .filter(|m| *m == "CT")
        .map(|_| "HU".to_string());
    let fixed = if !info.photometric.is_monochrome() {
        Some("colour image: shown as stored")
    } else if image.has_voi_lut(frame) {
        Some("shown through the file's own lookup table")
    } else {
        None
    };
    if let Some(why) = fixed {
        let rgba = image
            .render_rgba(frame, Window::from_file_default())
            .map_err(invalid)?;
        header.fixed = Some(why.to_string());
        return Ok(frame_message(&header, &rgba.pixels));
    }
    let stored = image.stored_frame(frame).map_err(invalid)?;
    let (slope, intercept) = image.rescale(frame);
    let (lo, hi) = stored.samples.range().unwrap_or((0, 0));
    let (a, b) = (lo as f64 * slope + intercept, hi as f64 * slope + intercept);
    header.min = a.min(b);
    header.max = a.max(b);
    header.inverted = info.photometric == Photometric::Monochrome1;
    match image.file_window(frame) {
        Some((c, w, f)) => {
            header.center = c;
            header.width = w;
            header.function = f;
            header.file_window = true;
        }
        None => {
            header.center = (header.min + header.max) / 2.0;
            header.width = (header.max - header.min).max(1.0) + 1.0;
        }
    }
    header.slope = slope;
    header.intercept = intercept;
    let bytes: Vec<u8> = match &stored.samples {
        Samples::U8(v) => {
            header.format = FrameFormat::U8;
            v.clone()
        }
        Samples::I8(v) => {
            header.format = FrameFormat::I16;
            v.iter().flat_map(|x| i16::from(*x).to_le_bytes()).collect()
        }
        Samples::U16(v) => {
            header.format = FrameFormat::U16;
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        Samples::I16(v) => {
            header.format = FrameFormat::I16;
            v.iter().flat_map(|x| x.to_le_bytes()).collect()
        }
        // 32-bit values: sent as modality values, which f32 holds to 24 bits.
        Samples::U32(_) | Samples::I32(_) => {
            header.format = FrameFormat::F32;
            header.slope = 1.0;
            header.intercept = 0.0;
            (0..stored.samples.len())
                .filter_map(|i| stored.samples.get(i))
                .flat_map(|x| ((x as f64 * slope + intercept) as f32).to_le_bytes())
                .collect()
        }
    };
    Ok(frame_message(&header, &bytes))
}

/// A reduced copy of an image for the series strip: at most `size` pixels
/// on its longer side, rendered through the file's window.
pub fn thumbnail(image: &Image, size: u32) -> Result<Vec<u8>> {
    let frame = image.frames() / 2;
    let full = image
        .render_rgba(frame, Window::from_file_default())
        .map_err(invalid)?;
    let scale = (full.width.max(full.height) as f64 / size.max(1) as f64).max(1.0);
    let (w, h) = (
        ((full.width as f64 / scale).round() as u32).max(1),
        ((full.height as f64 / scale).round() as u32).max(1),
    );
    let mut pixels = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let sx = ((x as f64 + 0.5) * scale) as u32;
            let sy = ((y as f64 + 0.5) * scale) as u32;
            let i = ((sy.min(full.height - 1) * full.width + sx.min(full.width - 1)) * 4) as usize;
            pixels.extend_from_slice(&full.pixels[i..i + 4]);
        }
    }
    let mut header = FrameHeader::rendered(image, h, w);
    header.fixed = Some("thumbnail".into());
    Ok(frame_message(&header, &pixels))
}

/// The screen's overlay layer: a base64 PNG (a `data:image/png;base64,`
/// prefix allowed) of exactly `width` × `height`, as 8-bit RGBA.
fn decode_overlay(text: &str, width: u32, height: u32) -> Result<Vec<u8>> {
    use base64::Engine;
    let bad = |why: String| {
        DeskError::invalid(format!(
            "The measurements and annotations could not be added to the picture: {why}"
        ))
    };
    let body = text.strip_prefix("data:image/png;base64,").unwrap_or(text);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|e| bad(format!("the layer is not base64 ({e})")))?;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder
        .read_info()
        .map_err(|e| bad(format!("the layer is not a PNG ({e})")))?;
    let info = reader.info();
    if (info.width, info.height) != (width, height) {
        return Err(bad(format!(
            "the layer is {} × {}, the image {width} × {height}",
            info.width, info.height
        )));
    }
    let mut buf = vec![0; reader.output_buffer_size().unwrap_or(0)];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|e| bad(format!("the layer cannot be read ({e})")))?;
    buf.truncate(frame.buffer_size());
    match frame.color_type {
        png::ColorType::Rgba => Ok(buf),
        png::ColorType::Rgb => Ok(buf
            .chunks_exact(3)
            .flat_map(|p| [p[0], p[1], p[2], 255])
            .collect()),
        other => Err(bad(format!("the layer is {other:?}, not RGBA"))),
    }
}

/// `layer` over `image` (both RGBA, same size), by each layer pixel's alpha.
fn lay_over(image: &mut [u8], layer: &[u8]) {
    for (px, top) in image.chunks_exact_mut(4).zip(layer.chunks_exact(4)) {
        let a = u16::from(top[3]);
        if a == 0 {
            continue;
        }
        for c in 0..3 {
            let (under, over) = (u16::from(px[c]), u16::from(top[c]));
            px[c] = ((over * a + under * (255 - a) + 127) / 255) as u8;
        }
        px[3] = 255;
    }
}

/// Renders `input`'s frame through its window and writes it as a PNG, by
/// way of a temporary file beside it, so a failed export leaves no half file.
pub fn write_png(image: &Image, input: &ExportInput) -> Result<Exported> {
    let window = match (input.center, input.width) {
        (Some(c), Some(w)) if image.info().photometric.is_monochrome() => Window::custom(c, w),
        _ => Window::from_file_default(),
    };
    let mut rgba = image.render_rgba(input.frame, window).map_err(invalid)?;
    if input.invert {
        for px in rgba.pixels.chunks_exact_mut(4) {
            for c in &mut px[..3] {
                *c = 255 - *c;
            }
        }
    }
    if let Some(layer) = input.overlay_png.as_deref().filter(|l| !l.is_empty()) {
        let layer = decode_overlay(layer, rgba.width, rgba.height)?;
        lay_over(&mut rgba.pixels, &layer);
    }
    let path = PathBuf::from(input.path.trim());
    if path.as_os_str().is_empty() {
        return Err(DeskError::new(
            "invalid",
            "Choose where to save the picture",
        ));
    }
    let path = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("png"))
    {
        path
    } else {
        path.with_extension("png")
    };
    let io = |e: std::io::Error| {
        DeskError::new(
            "io",
            format!("The picture could not be saved to {}: {e}", path.display()),
        )
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir).map_err(io)?;
    {
        let mut enc = png::Encoder::new(&mut tmp.1, rgba.width, rgba.height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| io(std::io::Error::other(e)))?;
        w.write_image_data(&rgba.pixels)
            .map_err(|e| io(std::io::Error::other(e)))?;
    }
    tmp.1.sync_all().map_err(io)?;
    std::fs::rename(&tmp.0, &path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp.0);
        io(e)
    })?;
    Ok(Exported {
        path: path.display().to_string(),
        width: rgba.width,
        height: rgba.height,
    })
}

/// A new file in `dir` that nobody else can guess, for writing before a rename.
fn tempfile_in(dir: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".clinicdesk-export-{}.tmp", uuid::Uuid::now_v7()));
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)?;
    Ok((path, file))
}

/// An import in progress or just finished, as the window shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportUpdate {
    /// `files` or `pacs`.
    pub source: &'static str,
    /// What is being imported, in words.
    pub what: String,
    pub phase: Phase,
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub report: Option<ImportReport>,
    /// Why the import stopped, when it failed as a whole.
    pub error: Option<String>,
}

type Notify = Arc<dyn Fn(&ImportUpdate) + Send + Sync>;

/// The last image opened, kept so a multi-frame image is decoded from
/// its file once, not once per frame.
struct Opened {
    sop_instance_uid: String,
    image: Image,
}

#[derive(Default)]
struct ViewerState {
    store: Option<Store>,
    /// Keyed by series UID, for the user who opened them.
    series: HashMap<String, SeriesAccess>,
    user: Option<String>,
    last: Option<Opened>,
}

pub struct Viewer {
    dir: PathBuf,
    unlock: SharedUnlock,
    keychain: Keychain,
    state: Mutex<ViewerState>,
    import: Arc<Mutex<Option<ImportUpdate>>>,
    notify: Mutex<Notify>,
}

impl Viewer {
    pub fn new(dir: &Path, unlock: SharedUnlock, keychain: Keychain) -> Viewer {
        Viewer {
            dir: dir.to_path_buf(),
            unlock,
            keychain,
            state: Mutex::new(ViewerState::default()),
            import: Arc::new(Mutex::new(None)),
            notify: Mutex::new(Arc::new(|_| {})),
        }
    }

    /// Who hears about imports (the window, once it exists).
    pub fn set_notify(&self, notify: impl Fn(&ImportUpdate) + Send + Sync + 'static) {
        *self.notify.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(notify);
    }

    fn open_store(&self) -> Result<Store> {
        Ok(crate::desk::open_beside(&self.dir, &self.unlock)?)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ViewerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The viewer's state for `session`'s user: a new user starts with no
    /// series open (what the last one opened was audited to them).
    fn ready(
        &self,
        st: &mut std::sync::MutexGuard<'_, ViewerState>,
        session: &Session,
    ) -> Result<()> {
        if st.user.as_deref() != Some(session.user_id.as_str()) {
            st.series.clear();
            st.last = None;
            st.user = Some(session.user_id.clone());
        }
        if st.store.is_none() {
            st.store = Some(self.open_store()?);
        }
        Ok(())
    }

    /// Opens a series (audited once); its frames can then be read.
    pub fn open_series(&self, session: &Session, input: &SeriesRef) -> Result<Vec<String>> {
        let mut st = self.state();
        self.ready(&mut st, session)?;
        let store = st.store.as_mut().expect("opened above");
        let access = store.open_series(session, &input.series_uid)?;
        let uids = access.instances().to_vec();
        st.series.insert(access.series_uid().to_string(), access);
        Ok(uids)
    }

    fn with_image<T>(
        &self,
        session: &Session,
        series_uid: &str,
        sop_instance_uid: &str,
        f: impl FnOnce(&Image, &mut Store, &SeriesAccess) -> Result<T>,
    ) -> Result<T> {
        let mut st = self.state();
        self.ready(&mut st, session)?;
        let st = &mut *st;
        let access = st.series.get(series_uid).ok_or_else(|| {
            DeskError::new(
                "not-found",
                "That series is not open in the viewer; open the study again",
            )
        })?;
        let store = st.store.as_mut().expect("opened above");
        let cached = st
            .last
            .as_ref()
            .is_some_and(|o| o.sop_instance_uid == sop_instance_uid);
        if !cached {
            let bytes = store.series_file(access, sop_instance_uid)?;
            let image = Image::from_bytes(&bytes).map_err(invalid)?;
            st.last = Some(Opened {
                sop_instance_uid: sop_instance_uid.to_string(),
                image,
            });
        }
        let image = &st.last.as_ref().expect("set above").image;
        f(image, store, access)
    }

    /// One frame as a frame message (see [`frame_message`]).
    pub fn frame(&self, session: &Session, input: &FrameRef) -> Result<Vec<u8>> {
        self.with_image(
            session,
            &input.series_uid,
            &input.sop_instance_uid,
            |img, _, _| frame_for_window(img, input.frame),
        )
    }

    /// A small picture of the series' middle image, for the series strip.
    pub fn thumbnail(&self, session: &Session, input: &SeriesRef) -> Result<Vec<u8>> {
        let middle = {
            let st = self.state();
            let access = st.series.get(&input.series_uid);
            access.and_then(|a| a.instances().get(a.instances().len() / 2).cloned())
        };
        let Some(uid) = middle else {
            return Err(DeskError::new(
                "not-found",
                "That series is not open in the viewer; open the study again",
            ));
        };
        self.with_image(session, &input.series_uid, &uid, |img, _, _| {
            thumbnail(img, 96)
        })
    }

    /// Every data element of an image, for the tag browser.
    pub fn tags(&self, session: &Session, input: &FrameRef) -> Result<Vec<TagEntry>> {
        self.with_image(
            session,
            &input.series_uid,
            &input.sop_instance_uid,
            |img, _, _| img.tags().map_err(invalid),
        )
    }

    /// Saves the frame on screen as a PNG; the export is audited.
    pub fn export_png(&self, session: &Session, input: &ExportInput) -> Result<Exported> {
        self.with_image(
            session,
            &input.series_uid,
            &input.sop_instance_uid,
            |img, store, access| {
                let done = write_png(img, input)?;
                store.record_image_export(session, access, &input.sop_instance_uid, &done.path)?;
                Ok(done)
            },
        )
    }

    /// The import in progress, or the last one.
    pub fn import_status(&self) -> Option<ImportUpdate> {
        self.import
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn begin(&self, source: &'static str, what: String) -> Result<ImportUpdate> {
        let mut slot = self.import.lock().unwrap_or_else(|p| p.into_inner());
        if slot.as_ref().is_some_and(|u| !u.finished) {
            return Err(DeskError::new(
                "busy",
                "Images are already being imported on this computer; wait for that import to finish",
            ));
        }
        let update = ImportUpdate {
            source,
            what,
            phase: if source == "pacs" {
                Phase::Receiving
            } else {
                Phase::Reading
            },
            done: 0,
            total: 0,
            finished: false,
            report: None,
            error: None,
        };
        *slot = Some(update.clone());
        Ok(update)
    }

    /// Runs `job` on a worker thread with its own store connection,
    /// telling the window how far it is.
    fn spawn(
        &self,
        first: ImportUpdate,
        job: impl FnOnce(
                &mut Store,
                &mut dyn FnMut(Progress),
            ) -> std::result::Result<ImportReport, String>
            + Send
            + 'static,
    ) -> Result<ImportUpdate> {
        let store = self.open_store();
        let slot = self.import.clone();
        let notify = self
            .notify
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let publish = move |u: ImportUpdate| {
            notify(&u);
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(u);
        };
        let mut store = match store {
            Ok(s) => s,
            Err(e) => {
                publish(ImportUpdate {
                    finished: true,
                    error: Some(e.message.clone()),
                    ..first
                });
                return Err(e);
            }
        };
        let started = first.clone();
        std::thread::Builder::new()
            .name("image-import".into())
            .spawn(move || {
                let mut last = std::time::Instant::now();
                let mut progress = |p: Progress| {
                    // A bar moves smoothly at ten updates a second.
                    if p.done == p.total || last.elapsed().as_millis() >= 100 {
                        last = std::time::Instant::now();
                        publish(ImportUpdate {
                            phase: p.phase,
                            done: p.done,
                            total: p.total,
                            ..started.clone()
                        });
                    }
                };
                let outcome = job(&mut store, &mut progress);
                let end = match outcome {
                    Ok(report) => ImportUpdate {
                        finished: true,
                        phase: Phase::Storing,
                        done: report.imported + report.already_present,
                        total: report.imported + report.already_present + report.failed.len(),
                        report: Some(report),
                        ..started
                    },
                    Err(e) => ImportUpdate {
                        finished: true,
                        error: Some(e),
                        ..started
                    },
                };
                publish(end);
            })
            .map_err(|e| DeskError::new("internal", format!("The import could not start: {e}")))?;
        Ok(first)
    }

    /// Imports files, folders and DICOMDIR discs in the background.
    pub fn import(&self, session: &Session, input: &ImportImagesInput) -> Result<ImportUpdate> {
        let paths: Vec<PathBuf> = input
            .paths
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(PathBuf::from)
            .collect();
        if paths.is_empty() {
            return Err(DeskError::new(
                "invalid",
                "Choose files or a folder to import",
            ));
        }
        session.require(clinicdesk_domain::Permission::ImagingImport)?;
        let what = match paths.as_slice() {
            [one] => one
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| one.display().to_string()),
            many => format!("{} files and folders", many.len()),
        };
        let first = self.begin("files", what)?;
        let session = session.clone();
        self.spawn(first, move |store, progress| {
            import_paths(store, &session, &paths, progress).map_err(|e| DeskError::from(e).message)
        })
    }

    /// Searches the clinic PACS.
    pub fn search_pacs(
        &self,
        session: &Session,
        input: &PacsSearchInput,
    ) -> Result<Vec<StudyMatch>> {
        let mut st = self.state();
        self.ready(&mut st, session)?;
        let store = st.store.as_mut().expect("opened above");
        let client = PacsClient::for_store(store, &self.keychain).map_err(pacs_error)?;
        let query = StudyQuery {
            patient_id: input.patient_id.clone(),
            patient_name: input.patient_name.clone(),
            study_date: input.study_date.as_deref().map(dicom_dates),
            modality: input.modality.clone(),
            limit: Some(100),
        };
        client.search(store, session, &query).map_err(pacs_error)
    }

    /// Retrieves a study from the PACS in the background.
    pub fn retrieve(&self, session: &Session, input: &RetrieveInput) -> Result<ImportUpdate> {
        session.require(clinicdesk_domain::Permission::ImagingImport)?;
        let client = {
            let mut st = self.state();
            self.ready(&mut st, session)?;
            let store = st.store.as_mut().expect("opened above");
            PacsClient::for_store(store, &self.keychain).map_err(pacs_error)?
        };
        let uid = input.study_uid.trim().to_string();
        let first = self.begin("pacs", format!("study {uid} from the PACS"))?;
        let session = session.clone();
        self.spawn(first, move |store, progress| {
            client
                .retrieve(store, &session, &uid, progress)
                .map_err(|e| pacs_error(e).message)
        })
    }
}

/// `YYYY-MM-DD` or `A..B` as DICOM dates (`YYYYMMDD`, `A-B`).
fn dicom_dates(s: &str) -> String {
    s.trim()
        .replace("..", "~")
        .replace('-', "")
        .replace('~', "-")
}

fn pacs_error(e: PacsError) -> DeskError {
    match e {
        PacsError::Store(s) => DeskError::from(s),
        PacsError::NotConfigured => DeskError::new(
            "not-configured",
            "No PACS is set up on this computer. Ask your administrator to set it up",
        ),
        PacsError::PasswordMissing(user) => DeskError::new(
            "not-configured",
            format!("The password of the PACS user {user} is not stored on this computer. Ask your administrator to store it"),
        ),
        PacsError::Invalid(m) => DeskError::new("invalid", m),
        e @ PacsError::Unreachable { .. } => DeskError::new("offline", e.to_string()),
        e => DeskError::new("pacs", e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_dicom_ranges() {
        assert_eq!(dicom_dates("2026-11-02"), "20261102");
        assert_eq!(dicom_dates("2026-01-01..2026-11-02"), "20260101-20261102");
        assert_eq!(dicom_dates("..2026-11-02"), "-20261102");
        assert_eq!(dicom_dates("2026-01-01.."), "20260101-");
    }

    #[test]
    fn frame_messages_keep_values_aligned() {
        let h = FrameHeader {
            rows: 1,
            columns: 2,
            format: FrameFormat::I16,
            slope: 1.0,
            intercept: -1024.0,
            center: 40.0,
            width: 400.0,
            function: VoiFunction::Linear,
            file_window: true,
            inverted: false,
            min: -1024.0,
            max: 100.0,
            pixel_spacing: Some([0.5, 0.5]),
            slice_location: None,
            frames: 1,
            photometric: "MONOCHROME2",
            modality: Some("CT".into()),
            units: Some("HU".into()),
            fixed: None,
        };
        let msg = frame_message(&h, &[1, 0, 2, 0]);
        let len = u32::from_le_bytes(msg[..4].try_into().unwrap()) as usize;
        assert_eq!((4 + len) % 8, 0);
        let json: serde_json::Value = serde_json::from_slice(&msg[4..4 + len]).unwrap();
        assert_eq!(json["format"], "i16");
        assert_eq!(json["function"], "LINEAR");
        assert_eq!(&msg[4 + len..], &[1, 0, 2, 0]);
    }
}
