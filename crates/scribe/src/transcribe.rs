//! Transcription on a worker thread.
//!
//! Audio (16 kHz mono) is fed to a [`Session`] as it arrives, from a file all
//! at once or from the microphone block by block. The worker cuts it into
//! windows that overlap by a second or two, so a word cut at a window's edge
//! is heard whole in the next one. Each word carries timestamps; words in an
//! overlap are kept from whichever window saw them further from its edge
//! (split at the middle of the overlap), so none is written twice. Segments
//! go out as events as soon as their window is done.

use crate::audio::SAMPLE_RATE;
use crate::error::{Error, Result};
use serde::Serialize;
use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use whisper_rs::{FullParams, SamplingStrategy, WhisperContext, WhisperContextParameters};

/// A loaded Whisper model (ggml format), shareable between sessions.
#[derive(Clone)]
pub struct Model {
    ctx: Arc<WhisperContext>,
    path: PathBuf,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("path", &self.path).finish()
    }
}

impl Model {
    /// Loads a ggml Whisper model file.
    pub fn load(path: &Path) -> Result<Model> {
        if !path.is_file() {
            return Err(Error::ModelMissing {
                path: path.to_path_buf(),
            });
        }
        crate::model_file::refuse_unrunnable(path)?;
        // Without a log backend this silences whisper.cpp's chatter on stderr.
        whisper_rs::install_logging_hooks();
        let ctx = WhisperContext::new_with_params(path, WhisperContextParameters::default())
            .map_err(|_| Error::ModelInvalid {
                path: path.to_path_buf(),
            })?;
        Ok(Model {
            ctx: Arc::new(ctx),
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn is_multilingual(&self) -> bool {
        self.ctx.is_multilingual()
    }
}

/// The encoder's length for a window of `samples`, or None for Whisper's
/// full 30 s. Whisper pads every window to 30 s (1,500 encoder positions,
/// 50 a second) and the encoder is most of the work; a shorter window (the
/// tail of a file, the live windows of a dictation) is encoded at its own
/// length plus a second of silence, rounded up to 64 positions, and never
/// under 15 s: with less, tiny.en repeated itself on short recordings (word
/// error rates of 43 to 109 on three pocketsphinx files); from 15 s every
/// test recording scores as with the full 30 s.
fn encoder_positions(samples: usize) -> Option<i32> {
    const FULL: usize = 1500;
    let per_second = FULL / 30;
    let needed = samples.div_ceil(SAMPLE_RATE as usize / per_second) + per_second;
    let rounded = (needed.div_ceil(64) * 64).max(FULL / 2);
    (rounded < FULL).then_some(rounded as i32)
}

#[derive(Debug, Clone)]
pub struct Options {
    /// CPU threads for whisper.cpp.
    pub threads: usize,
    /// Window length; Whisper sees at most 30 s at a time.
    pub window_secs: f64,
    /// How much consecutive windows share.
    pub overlap_secs: f64,
    /// Spoken language (ISO 639-1); English-only models ignore it.
    pub language: String,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: 2,
            window_secs: 30.0,
            overlap_secs: 1.5,
            language: "en".into(),
        }
    }
}

impl Options {
    /// Shorter windows for dictation, so text follows the speaker closely.
    pub fn live() -> Self {
        Options {
            window_secs: 10.0,
            ..Options::default()
        }
    }

    fn check(&self) -> Result<()> {
        if self.threads == 0 {
            return Err(Error::Transcription(
                "the thread count must be at least 1".into(),
            ));
        }
        if !(1.0..=30.0).contains(&self.window_secs) {
            return Err(Error::Transcription(
                "the window must be 1 to 30 seconds".into(),
            ));
        }
        if !(0.0..self.window_secs / 2.0).contains(&self.overlap_secs) {
            return Err(Error::Transcription(
                "the overlap must be shorter than half the window".into(),
            ));
        }
        Ok(())
    }
}

/// A stretch of text with its place in the audio.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Segment {
    pub start_secs: f64,
    pub end_secs: f64,
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    pub text: String,
    pub segments: Vec<Segment>,
    pub duration_secs: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// New text, in order.
    Segment(Segment),
    /// Fraction of the audio done (0 to 1); only when the length is known.
    Progress(f64),
}

/// Stops a session from any thread.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    pub fn new() -> Self {
        CancelHandle(Arc::new(AtomicBool::new(false)))
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }

    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Sends 16 kHz mono audio to a [`Session`] from any thread.
#[derive(Debug, Clone)]
pub struct Feeder(Sender<Vec<f32>>);

impl Feeder {
    pub fn feed(&self, samples: Vec<f32>) {
        let _ = self.0.send(samples);
    }
}

/// One transcription: feed audio, read events, then [`Session::finish`].
pub struct Session {
    audio: Option<Sender<Vec<f32>>>,
    events: Receiver<Event>,
    cancel: Arc<AtomicBool>,
    worker: Option<JoinHandle<Result<Transcript>>>,
}

impl Session {
    /// Starts a worker. `total_samples`, when known (files), turns on
    /// progress events.
    pub fn start(model: &Model, options: Options, total_samples: Option<usize>) -> Result<Session> {
        Session::with_cancel(model, options, total_samples, CancelHandle::new())
    }

    /// Like [`Session::start`], stopped by an existing [`CancelHandle`].
    pub fn with_cancel(
        model: &Model,
        options: Options,
        total_samples: Option<usize>,
        cancel: CancelHandle,
    ) -> Result<Session> {
        options.check()?;
        let (audio_tx, audio_rx) = mpsc::channel::<Vec<f32>>();
        let (event_tx, events) = mpsc::channel();
        let cancel = cancel.0;
        let worker = Worker {
            model: model.clone(),
            options,
            total: total_samples,
            cancel: Arc::clone(&cancel),
            events: event_tx,
        };
        let handle = std::thread::Builder::new()
            .name("scribe-transcribe".into())
            .spawn(move || worker.run(audio_rx))
            .map_err(|e| Error::Transcription(format!("could not start the worker: {e}")))?;
        Ok(Session {
            audio: Some(audio_tx),
            events,
            cancel,
            worker: Some(handle),
        })
    }

    /// Adds 16 kHz mono samples.
    pub fn feed(&self, samples: Vec<f32>) {
        if let Some(tx) = &self.audio {
            // A worker that stopped (cancelled, failed) reports why in finish().
            let _ = tx.send(samples);
        }
    }

    /// A sender for audio from another thread (the microphone's). The
    /// session ends only once every feeder is dropped too.
    pub fn feeder(&self) -> Option<Feeder> {
        self.audio.clone().map(Feeder)
    }

    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    pub fn cancel_handle(&self) -> CancelHandle {
        CancelHandle(Arc::clone(&self.cancel))
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::SeqCst);
    }

    /// Ends the audio and waits for the rest of the text. Events not yet
    /// read stay readable through the returned transcript's segments.
    pub fn finish(mut self) -> Result<Transcript> {
        self.audio = None;
        match self.worker.take().map(JoinHandle::join) {
            Some(Ok(r)) => r,
            Some(Err(_)) => Err(Error::Transcription("the worker thread crashed".into())),
            None => Err(Error::Transcription(
                "the session was already finished".into(),
            )),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if self.worker.is_some() {
            self.cancel.store(true, Ordering::SeqCst);
            self.audio = None;
            if let Some(w) = self.worker.take() {
                let _ = w.join();
            }
        }
    }
}

/// Transcribes a whole 16 kHz mono signal, calling `on_event` as text and
/// progress arrive; `cancel` stops it from another thread.
pub fn transcribe(
    model: &Model,
    options: Options,
    samples: Vec<f32>,
    cancel: &CancelHandle,
    mut on_event: impl FnMut(&Event),
) -> Result<Transcript> {
    let session = Session::with_cancel(model, options, Some(samples.len()), cancel.clone())?;
    session.feed(samples);
    let mut session = session;
    session.audio = None;
    // The worker drops its sender when done, which ends this loop.
    for e in session.events.iter() {
        on_event(&e);
    }
    session.finish()
}

struct Worker {
    model: Model,
    options: Options,
    total: Option<usize>,
    cancel: Arc<AtomicBool>,
    events: Sender<Event>,
}

/// A word with absolute times in seconds.
#[derive(Debug, Clone, PartialEq)]
struct Word {
    start: f64,
    end: f64,
    text: String,
    /// Index of the whisper segment within its window, to regroup words.
    segment: usize,
}

impl Worker {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    fn run(self, audio: Receiver<Vec<f32>>) -> Result<Transcript> {
        yield_to_the_window();
        let rate = f64::from(SAMPLE_RATE);
        let window = (self.options.window_secs * rate) as usize;
        let overlap = (self.options.overlap_secs * rate) as usize;
        let mut buf: Vec<f32> = Vec::new();
        // Absolute index of buf[0].
        let mut base = 0usize;
        let mut cut_prev = 0.0f64;
        let mut closed = false;
        let mut segments = Vec::new();
        loop {
            if self.cancelled() {
                return Err(Error::Cancelled);
            }
            if !closed {
                // Wait for audio, then take whatever else is queued.
                match audio.recv() {
                    Ok(s) => buf.extend(s),
                    Err(_) => closed = true,
                }
                while let Ok(s) = audio.try_recv() {
                    buf.extend(s);
                }
            }
            while buf.len() >= window || (closed && !buf.is_empty()) {
                if self.cancelled() {
                    return Err(Error::Cancelled);
                }
                let last = closed && buf.len() <= window;
                let len = buf.len().min(window);
                let start = base as f64 / rate;
                let end = (base + len) as f64 / rate;
                // The part of this window the next one does not repeat.
                let advance = if last { len } else { len - overlap };
                let words = self.window(&buf[..len], start, advance)?;
                // The next window starts `overlap` before this one's end, so
                // split their shared stretch in the middle.
                let cut = if last {
                    f64::INFINITY
                } else {
                    end - overlap as f64 / rate / 2.0
                };
                let after = segments.last().map_or(0.0, |s: &Segment| s.end_secs);
                for s in group(words, cut_prev, cut, after) {
                    let _ = self.events.send(Event::Segment(s.clone()));
                    segments.push(s);
                }
                cut_prev = cut;
                if last {
                    buf.clear();
                    base += len;
                } else {
                    buf.drain(..advance);
                    base += advance;
                }
                if let Some(total) = self.total {
                    let done = if last {
                        1.0
                    } else {
                        base as f64 / total.max(1) as f64
                    };
                    let _ = self.events.send(Event::Progress(done.min(1.0)));
                }
            }
            if closed {
                break;
            }
        }
        let text = segments
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Transcript {
            text,
            segments,
            duration_secs: base as f64 / rate,
        })
    }

    /// Transcribes one window into words with absolute times. `advance`
    /// samples of it are new (progress counts those).
    fn window(&self, samples: &[f32], offset: f64, advance: usize) -> Result<Vec<Word>> {
        let mut state =
            self.model.ctx.create_state().map_err(|e| {
                Error::Transcription(format!("could not create a decoder state: {e}"))
            })?;
        let mut params = FullParams::new(SamplingStrategy::Greedy { best_of: 1 });
        params.set_n_threads(self.options.threads.min(i32::MAX as usize) as i32);
        if self.model.is_multilingual() {
            params.set_language(Some(&self.options.language));
        }
        params.set_print_special(false);
        params.set_print_progress(false);
        params.set_print_realtime(false);
        params.set_print_timestamps(false);
        params.set_token_timestamps(true);
        params.set_no_context(true);
        params.set_suppress_blank(true);
        // No re-decoding at higher temperatures: with token timestamps on,
        // whisper.cpp's fallback fired on most windows of our test speech
        // and made a 30 s window take 24 s instead of 5 s here. Windows are
        // independent (no context), so a repetition loop cannot spread.
        params.set_temperature_inc(0.0);
        // Checked by whisper.cpp during the encoder and between decoder steps.
        unsafe extern "C" fn abort(flag: *mut c_void) -> bool {
            // SAFETY: `flag` is the worker's Arc<AtomicBool>, alive for the call.
            unsafe { (*(flag as *const AtomicBool)).load(Ordering::SeqCst) }
        }
        // SAFETY: the pointer stays valid while `state.full` runs: `self`
        // holds the Arc and outlives it.
        unsafe {
            params.set_abort_callback(Some(abort));
            params.set_abort_callback_user_data(Arc::as_ptr(&self.cancel) as *mut c_void);
        }
        // whisper-rs's safe progress hook leaks its closure (and so would
        // keep the event channel open); this one borrows from the stack.
        struct Progress<'a> {
            tx: &'a Sender<Event>,
            base: f64,
            len: f64,
            total: f64,
        }
        unsafe extern "C" fn progress(
            _: *mut whisper_rs::whisper_rs_sys::whisper_context,
            _: *mut whisper_rs::whisper_rs_sys::whisper_state,
            pct: std::os::raw::c_int,
            data: *mut c_void,
        ) {
            // SAFETY: `data` points at the `Progress` below, alive for the call.
            let p = unsafe { &*(data as *const Progress<'_>) };
            let done = (p.base + p.len * f64::from(pct) / 100.0) / p.total;
            let _ = p.tx.send(Event::Progress(done.clamp(0.0, 1.0)));
        }
        let progress_data = self.total.map(|total| Progress {
            tx: &self.events,
            base: offset * f64::from(SAMPLE_RATE),
            len: advance as f64,
            total: total.max(1) as f64,
        });
        if let Some(p) = &progress_data {
            // SAFETY: `progress_data` outlives `state.full` below.
            unsafe {
                params.set_progress_callback(Some(progress));
                params.set_progress_callback_user_data(p as *const Progress<'_> as *mut c_void);
            }
        }
        // whisper.cpp skips input under a second; pad short tails with silence.
        let min = SAMPLE_RATE as usize + SAMPLE_RATE as usize / 10;
        let padded;
        let input = if samples.len() < min {
            padded = samples
                .iter()
                .copied()
                .chain(std::iter::repeat_n(0.0, min - samples.len()))
                .collect::<Vec<_>>();
            &padded[..]
        } else {
            samples
        };
        if let Some(ctx) = encoder_positions(input.len()) {
            params.set_audio_ctx(ctx);
        }
        let result = state.full(params, input);
        if self.cancelled() {
            return Err(Error::Cancelled);
        }
        result.map_err(|e| Error::Transcription(e.to_string()))?;

        let eot = self.model.ctx.token_eot();
        let mut words: Vec<Word> = Vec::new();
        let mut pending: Option<(Vec<u8>, f64, f64, usize)> = None;
        let finish = |p: (Vec<u8>, f64, f64, usize), words: &mut Vec<Word>| {
            let text = String::from_utf8_lossy(&p.0).trim().to_string();
            if !text.is_empty() {
                words.push(Word {
                    start: p.1,
                    end: p.2,
                    text,
                    segment: p.3,
                });
            }
        };
        for (si, seg) in state.as_iter().enumerate() {
            for ti in 0..seg.n_tokens() {
                let Some(tok) = seg.get_token(ti) else {
                    continue;
                };
                let data = tok.token_data();
                if data.id >= eot {
                    continue;
                }
                let Ok(bytes) = tok.to_bytes() else { continue };
                let t0 = offset + data.t0.max(0) as f64 / 100.0;
                let t1 = offset + data.t1.max(0) as f64 / 100.0;
                let starts_word = bytes.first() == Some(&b' ');
                match pending.as_mut() {
                    Some(p) if !starts_word && p.3 == si => {
                        p.0.extend_from_slice(bytes);
                        p.2 = p.2.max(t1);
                    }
                    _ => {
                        if let Some(p) = pending.take() {
                            finish(p, &mut words);
                        }
                        pending = Some((bytes.to_vec(), t0, t1.max(t0), si));
                    }
                }
            }
        }
        if let Some(p) = pending.take() {
            finish(p, &mut words);
        }
        Ok(words)
    }
}

/// Lowers this thread's CPU priority, and so that of the compute threads
/// whisper.cpp starts from it (Linux threads inherit it): on a clinic
/// desktop with two cores, typing in the note must not wait for Whisper.
/// The transcription is as fast as before when nothing else wants the CPU.
fn yield_to_the_window() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with PRIO_PROCESS and id 0 changes only the
    // calling thread's nice value on Linux; a failure leaves it unchanged.
    unsafe {
        let _ = libc::setpriority(libc::PRIO_PROCESS, 0, 10);
    }
}

/// Keeps the words whose middle falls in `[from, to)` and joins them back
/// into their segments, none starting before `after` or before the segment
/// ahead of it ends.
fn group(words: Vec<Word>, from: f64, to: f64, after: f64) -> Vec<Segment> {
    let mut out: Vec<(usize, Segment)> = Vec::new();
    for w in words {
        let mid = (w.start + w.end) / 2.0;
        if mid < from || mid >= to {
            continue;
        }
        match out.last_mut() {
            Some((seg, s)) if *seg == w.segment => {
                s.text.push(' ');
                s.text.push_str(&w.text);
                s.end_secs = s.end_secs.max(w.end);
            }
            _ => {
                // Word times are approximate: a window's first word can be
                // stamped before the end of the last one kept from the
                // window before. A segment starts where the one before it
                // ends, at the earliest (each ends at or after `after`).
                let floor = out.last().map_or(after, |(_, s)| s.end_secs);
                let start_secs = w.start.max(floor);
                out.push((
                    w.segment,
                    Segment {
                        start_secs,
                        end_secs: w.end.max(start_secs),
                        text: w.text,
                    },
                ))
            }
        }
    }
    out.into_iter().map(|(_, s)| s).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_windows_get_a_shorter_encoder_but_never_under_15_s() {
        let secs = |s: f64| (s * f64::from(SAMPLE_RATE)) as usize;
        assert_eq!(encoder_positions(secs(30.0)), None);
        assert_eq!(encoder_positions(secs(28.5)), None);
        // 24.7 s + 1 s of margin = 1,285 positions, rounded up to 1,344.
        assert_eq!(encoder_positions(secs(24.7)), Some(1344));
        // Shorter than 15 s: half the encoder, where tiny.en stops repeating itself.
        assert_eq!(encoder_positions(secs(10.0)), Some(750));
        assert_eq!(encoder_positions(secs(1.1)), Some(750));
    }

    fn w(start: f64, end: f64, text: &str, segment: usize) -> Word {
        Word {
            start,
            end,
            text: text.into(),
            segment,
        }
    }

    #[test]
    fn overlapping_words_are_kept_once() {
        // Window 1 covers 0–30 s, window 2 starts at 28.5 s; the cut is 29.25.
        let first = vec![
            w(27.0, 27.5, "the", 0),
            w(27.6, 28.2, "patient", 0),
            w(28.9, 29.4, "reports", 1),
            w(29.8, 30.0, "chest", 1),
        ];
        let second = vec![
            w(28.9, 29.4, "reports", 0),
            w(29.8, 30.3, "chest", 0),
            w(30.4, 30.9, "pain", 0),
        ];
        let a = group(first, 0.0, 29.25, 0.0);
        let b = group(second, 29.25, f64::INFINITY, a.last().unwrap().end_secs);
        let text: Vec<&str> = a.iter().chain(&b).map(|s| s.text.as_str()).collect();
        // "reports" (middle 29.15 s) comes from the first window, "chest"
        // (29.9 s) from the second.
        assert_eq!(text, ["the patient", "reports", "chest pain"]);
        assert_eq!(b[0].start_secs, 29.8);
        assert_eq!(b[0].end_secs, 30.9);
    }

    #[test]
    fn a_segment_never_starts_before_the_one_before_ends() {
        // The next window stamps its first kept word (middle 17.9 s) as
        // starting before the last word kept from this one (17.77-17.87 s).
        let first = vec![w(17.2, 17.6, "normal.", 0), w(17.77, 17.87, "The", 1)];
        let second = vec![w(17.75, 18.05, "assessment", 0), w(18.1, 18.3, "is", 0)];
        let a = group(first, 0.0, 17.85, 0.0);
        assert_eq!((a[1].start_secs, a[1].end_secs), (17.77, 17.87));
        let b = group(second, 17.85, f64::INFINITY, a[1].end_secs);
        assert_eq!(b[0].text, "assessment is");
        assert_eq!((b[0].start_secs, b[0].end_secs), (17.87, 18.3));
        // Within a window too, and a word that ends before the segment
        // before it does still gets a segment of its own, of no length.
        let c = group(
            vec![w(5.0, 6.0, "one", 0), w(5.5, 5.8, "two", 1)],
            0.0,
            f64::INFINITY,
            0.0,
        );
        assert_eq!((c[1].start_secs, c[1].end_secs), (6.0, 6.0));
    }

    #[test]
    fn options_are_checked() {
        assert!(Options::default().check().is_ok());
        assert!(Options {
            threads: 0,
            ..Options::default()
        }
        .check()
        .is_err());
        assert!(Options {
            window_secs: 40.0,
            ..Options::default()
        }
        .check()
        .is_err());
        assert!(Options {
            overlap_secs: 20.0,
            ..Options::default()
        }
        .check()
        .is_err());
    }

    #[test]
    fn a_missing_model_names_the_path_and_the_fix() {
        let e = Model::load(Path::new("/nonexistent/ggml-tiny.en.bin")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/nonexistent/ggml-tiny.en.bin"), "{msg}");
        assert!(msg.contains("models/obtain.sh"), "{msg}");
    }

    #[test]
    fn a_file_that_is_not_a_model_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("not-a-model.bin");
        std::fs::write(&p, b"this is not a model").unwrap();
        let e = Model::load(&p).unwrap_err();
        assert!(matches!(e, Error::ModelInvalid { .. }), "{e}");
    }
}
