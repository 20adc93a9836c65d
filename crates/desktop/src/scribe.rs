//! Dictation in the app: record from the microphone or take a recording,
//! transcribe on this computer, and keep audio and text in the encrypted
//! store as they arrive. One dictation runs at a time, on a thread of its
//! own with its own store connection, so the window never waits for
//! Whisper; `notify` tells the screens what is happening.

use crate::desk::SharedUnlock;
use crate::error::DeskError;
use crate::Result;
use clinicdesk_scribe::{
    load_audio_bytes, microphone_available, CancelHandle, Event, Model, Options, Recorder, Segment,
};
use clinicdesk_store::{DictatedSegment, Dictation, DictationSource, Session, Store};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Audio is saved in pieces this long while recording.
const SAVE_EVERY_SECS: f64 = 2.0;
/// The heartbeat of a long transcription, well inside the store's limit.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(10);
/// Progress reaches the screens at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);
/// Imported recordings longer than this are refused: hours of audio are
/// not a visit, and would hold gigabytes in memory.
const MAX_IMPORT_SECS: f64 = 2.0 * 60.0 * 60.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScribePhase {
    /// Recording, or reading an imported file.
    Recording,
    Transcribing,
    Done,
    Failed,
    Cancelled,
}

/// What a screen shows of the dictation in progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScribeUpdate {
    pub dictation_id: String,
    pub encounter_id: String,
    pub source: DictationSource,
    pub file_name: Option<String>,
    pub phase: ScribePhase,
    /// Seconds of audio saved so far.
    pub audio_secs: f64,
    /// 0 to 1 while transcribing a whole recording.
    pub progress: Option<f64>,
    /// The text so far.
    pub text: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScribeStatus {
    pub microphone: bool,
    /// The model file in use, or why there is none.
    pub model: Option<String>,
    pub model_problem: Option<String>,
    pub active: Option<ScribeUpdate>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RecordInput {
    pub encounter_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ImportAudioInput {
    pub encounter_id: String,
    pub file_name: String,
    /// The file's bytes, base64: it is decoded in memory, never saved as is.
    pub data_base64: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DictationRef {
    pub dictation_id: String,
}

type Notify = Arc<dyn Fn(&ScribeUpdate) + Send + Sync>;

enum Control {
    /// Stop recording and finish the text.
    Stop,
}

struct Job {
    latest: Arc<Mutex<ScribeUpdate>>,
    control: Sender<Control>,
    cancel: CancelHandle,
    thread: JoinHandle<()>,
}

pub struct Scribe {
    dir: PathBuf,
    unlock: SharedUnlock,
    model_override: Option<PathBuf>,
    model: Mutex<Option<Model>>,
    job: Mutex<Option<Job>>,
    notify: Mutex<Notify>,
}

/// Where the speech model is looked for: `CLINICDESK_MODEL`, then a
/// `models/` folder in the data folder, then one beside the app.
pub fn model_candidates(data_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("CLINICDESK_MODEL").filter(|p| !p.is_empty()) {
        out.push(PathBuf::from(p));
        return out;
    }
    let mut dirs = vec![data_dir.join("models")];
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(exe_dir.join("models"));
    }
    for dir in dirs {
        // A larger English model, when someone installed one, beats tiny.
        for name in ["ggml-base.en.bin", "ggml-small.en.bin", "ggml-tiny.en.bin"] {
            out.push(dir.join(name));
        }
    }
    out
}

impl Scribe {
    pub fn new(
        dir: &Path,
        unlock: SharedUnlock,
        notify: impl Fn(&ScribeUpdate) + Send + Sync + 'static,
    ) -> Scribe {
        Scribe {
            dir: dir.to_path_buf(),
            unlock,
            model_override: None,
            model: Mutex::new(None),
            job: Mutex::new(None),
            notify: Mutex::new(Arc::new(notify)),
        }
    }

    /// Who hears about the dictations started from now on (the window,
    /// once it exists).
    pub fn set_notify(&self, notify: impl Fn(&ScribeUpdate) + Send + Sync + 'static) {
        *self.notify.lock().unwrap_or_else(|p| p.into_inner()) = Arc::new(notify);
    }

    fn notifier(&self) -> Notify {
        self.notify
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Uses this model file instead of looking for one.
    pub fn with_model(mut self, path: &Path) -> Scribe {
        self.model_override = Some(path.to_path_buf());
        self
    }

    fn model_path(&self) -> std::result::Result<PathBuf, String> {
        if let Some(p) = &self.model_override {
            return Ok(p.clone());
        }
        let candidates = model_candidates(&self.dir);
        candidates
            .iter()
            .find(|p| p.is_file())
            .cloned()
            .ok_or_else(|| {
                format!(
                    "No speech model is installed on this computer, so dictation cannot be transcribed. Ask your administrator to install one (models/obtain.sh) in {}",
                    self.dir.join("models").display()
                )
            })
    }

    fn model(&self) -> Result<Model> {
        let mut slot = self.model.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(m) = slot.as_ref() {
            return Ok(m.clone());
        }
        let path = self
            .model_path()
            .map_err(|m| DeskError::new("scribe-model", m))?;
        let model = Model::load(&path).map_err(|e| {
            DeskError::new(
                "scribe-model",
                format!("The speech model could not be loaded: {e}. Ask your administrator to install it again"),
            )
        })?;
        *slot = Some(model.clone());
        Ok(model)
    }

    pub fn status(&self) -> ScribeStatus {
        let (model, model_problem) = match self.model_path() {
            Ok(p) => (Some(p.display().to_string()), None),
            Err(m) => (None, Some(m)),
        };
        ScribeStatus {
            microphone: microphone_available(),
            model,
            model_problem,
            active: self.active(),
        }
    }

    /// The dictation in progress, if any.
    pub fn active(&self) -> Option<ScribeUpdate> {
        let mut job = self.job.lock().unwrap_or_else(|p| p.into_inner());
        if job.as_ref().is_some_and(|j| j.thread.is_finished()) {
            *job = None;
        }
        job.as_ref()
            .map(|j| j.latest.lock().unwrap_or_else(|p| p.into_inner()).clone())
    }

    fn ensure_idle(&self) -> Result<()> {
        match self.active() {
            Some(a) => Err(DeskError::new(
                "scribe-busy",
                format!(
                    "A dictation is already {} on this computer. Stop it first",
                    match a.phase {
                        ScribePhase::Recording => "recording",
                        _ => "being transcribed",
                    }
                ),
            )),
            None => Ok(()),
        }
    }

    fn open_store(&self) -> Result<Store> {
        Ok(crate::desk::open_beside(&self.dir, &self.unlock)?)
    }

    /// Starts recording for an encounter; text follows the speaker.
    pub fn record(&self, session: &Session, input: &RecordInput) -> Result<ScribeUpdate> {
        self.ensure_idle()?;
        let model = self.model()?;
        if !microphone_available() {
            return Err(DeskError::new(
                "scribe-microphone",
                "No microphone is connected to this computer. Connect one, or import a recording instead",
            ));
        }
        let mut store = self.open_store()?;
        let d = store.start_dictation(
            session,
            &input.encounter_id,
            DictationSource::Microphone,
            None,
        )?;
        let (audio_tx, audio_rx) = mpsc::channel::<Vec<f32>>();
        let (fail_tx, fail_rx) = mpsc::channel::<String>();
        let recorder = match Recorder::start(
            move |block| {
                let _ = audio_tx.send(block);
            },
            move |e| {
                let _ = fail_tx.send(e.to_string());
            },
        ) {
            Ok(r) => r,
            Err(e) => {
                let message = format!("The microphone could not be opened: {e}");
                store.dictation_failed(session, &d.id, &message)?;
                return Err(DeskError::new("scribe-microphone", message));
            }
        };
        self.spawn(store, session.clone(), &d, move |run| {
            run.record(&model, recorder, audio_rx, fail_rx)
        })
    }

    /// Transcribes a recording the physician chose (WAV, MP3, M4A/AAC, OGG,
    /// FLAC), with progress.
    pub fn import(&self, session: &Session, input: &ImportAudioInput) -> Result<ScribeUpdate> {
        self.ensure_idle()?;
        let model = self.model()?;
        let bytes = decode_base64(&input.data_base64).ok_or_else(|| {
            DeskError::invalid("The recording did not arrive whole. Choose the file again")
        })?;
        let name = Path::new(&input.file_name)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("recording")
            .to_string();
        let mut store = self.open_store()?;
        let d = store.start_dictation(
            session,
            &input.encounter_id,
            DictationSource::File,
            Some(&name),
        )?;
        self.spawn(store, session.clone(), &d, move |run| {
            run.import(&model, bytes, &name)
        })
    }

    /// Transcribes the saved audio of a stopped dictation again.
    pub fn retry(&self, session: &Session, input: &DictationRef) -> Result<ScribeUpdate> {
        self.ensure_idle()?;
        let model = self.model()?;
        let mut store = self.open_store()?;
        let d = store.retry_dictation(session, &input.dictation_id)?;
        self.spawn(store, session.clone(), &d, move |run| {
            run.retranscribe(&model)
        })
    }

    /// Ends the recording; the text is finished from what was said.
    pub fn stop(&self) -> Result<()> {
        let job = self.job.lock().unwrap_or_else(|p| p.into_inner());
        match job.as_ref() {
            Some(j) => {
                let _ = j.control.send(Control::Stop);
                Ok(())
            }
            None => Err(DeskError::new("not-found", "Nothing is being recorded")),
        }
    }

    /// Stops recording or transcribing now; the audio saved so far is kept
    /// and can be transcribed again or discarded.
    pub fn cancel(&self) -> Result<()> {
        let job = self.job.lock().unwrap_or_else(|p| p.into_inner());
        match job.as_ref() {
            Some(j) => {
                j.cancel.cancel();
                let _ = j.control.send(Control::Stop);
                Ok(())
            }
            None => Err(DeskError::new("not-found", "No dictation is in progress")),
        }
    }

    /// Waits for the dictation in progress to end (tests, shutdown).
    pub fn wait(&self) -> Option<ScribeUpdate> {
        let job = self.job.lock().unwrap_or_else(|p| p.into_inner()).take();
        job.map(|j| {
            let _ = j.thread.join();
            let last = j.latest.lock().unwrap_or_else(|p| p.into_inner()).clone();
            last
        })
    }

    fn spawn(
        &self,
        store: Store,
        session: Session,
        d: &Dictation,
        work: impl FnOnce(&mut Run) -> std::result::Result<(), String> + Send + 'static,
    ) -> Result<ScribeUpdate> {
        let first = ScribeUpdate {
            dictation_id: d.id.clone(),
            encounter_id: d.encounter_id.clone(),
            source: d.source,
            file_name: d.file_name.clone(),
            phase: if d.state == clinicdesk_store::DictationState::Transcribing {
                ScribePhase::Transcribing
            } else {
                ScribePhase::Recording
            },
            audio_secs: d.audio_secs,
            progress: None,
            text: String::new(),
            error: None,
        };
        let latest = Arc::new(Mutex::new(first.clone()));
        let (control, control_rx) = mpsc::channel();
        let cancel = CancelHandle::new();
        let mut run = Run {
            store,
            session,
            id: d.id.clone(),
            control: control_rx,
            cancel: cancel.clone(),
            latest: latest.clone(),
            notify: self.notifier(),
            last_progress: Instant::now(),
            last_heartbeat: Instant::now(),
        };
        let thread = std::thread::Builder::new()
            .name("clinicdesk-scribe".into())
            .spawn(move || {
                let outcome = work(&mut run);
                run.end(outcome);
            })
            .map_err(|e| {
                DeskError::new("internal", format!("The dictation could not start: {e}"))
            })?;
        *self.job.lock().unwrap_or_else(|p| p.into_inner()) = Some(Job {
            latest,
            control,
            cancel,
            thread,
        });
        (self.notifier())(&first);
        Ok(first)
    }
}

/// One dictation's work, on its thread.
struct Run {
    store: Store,
    session: Session,
    id: String,
    control: Receiver<Control>,
    cancel: CancelHandle,
    latest: Arc<Mutex<ScribeUpdate>>,
    notify: Notify,
    last_progress: Instant,
    last_heartbeat: Instant,
}

impl Run {
    fn update(&self, change: impl FnOnce(&mut ScribeUpdate)) {
        let snapshot = {
            let mut u = self.latest.lock().unwrap_or_else(|p| p.into_inner());
            change(&mut u);
            u.clone()
        };
        (self.notify)(&snapshot);
    }

    fn save_audio(&mut self, samples: &[f32]) -> std::result::Result<(), String> {
        if samples.is_empty() {
            return Ok(());
        }
        let secs = self
            .store
            .add_dictation_audio(&self.session, &self.id, samples)
            .map_err(|e| format!("The recording could not be saved: {e}"))?;
        self.update(|u| u.audio_secs = secs);
        Ok(())
    }

    fn save_segments(&mut self, segments: &[Segment]) -> std::result::Result<(), String> {
        if segments.is_empty() {
            return Ok(());
        }
        let rows: Vec<DictatedSegment> = segments
            .iter()
            .map(|s| DictatedSegment {
                start_secs: s.start_secs,
                end_secs: s.end_secs,
                text: s.text.clone(),
            })
            .collect();
        self.store
            .add_dictation_segments(&self.session, &self.id, &rows)
            .map_err(|e| format!("The transcript could not be saved: {e}"))?;
        self.update(|u| {
            for s in segments {
                let t = s.text.trim();
                if !t.is_empty() {
                    if !u.text.is_empty() {
                        u.text.push(' ');
                    }
                    u.text.push_str(t);
                }
            }
        });
        Ok(())
    }

    fn progress(&mut self, fraction: f64) {
        if self.last_heartbeat.elapsed() >= HEARTBEAT_EVERY {
            self.last_heartbeat = Instant::now();
            let _ = self.store.touch_dictation(&self.session, &self.id);
        }
        if fraction >= 1.0 || self.last_progress.elapsed() >= PROGRESS_EVERY {
            self.last_progress = Instant::now();
            self.update(|u| u.progress = Some(fraction.clamp(0.0, 1.0)));
        }
    }

    fn transcribing(&mut self) -> std::result::Result<(), String> {
        self.store
            .dictation_transcribing(&self.session, &self.id)
            .map_err(|e| e.to_string())?;
        self.update(|u| {
            u.phase = ScribePhase::Transcribing;
            u.progress = Some(0.0);
        });
        Ok(())
    }

    fn record(
        &mut self,
        model: &Model,
        recorder: Recorder,
        audio: Receiver<Vec<f32>>,
        failures: Receiver<String>,
    ) -> std::result::Result<(), String> {
        let live = clinicdesk_scribe::Session::with_cancel(
            model,
            Options::live(),
            None,
            self.cancel.clone(),
        )
        .map_err(|e| e.to_string())?;
        let mut pending: Vec<f32> = Vec::new();
        // Segments saved so far; the finished transcript repeats them all.
        let mut stored = 0usize;
        let save_every = (SAVE_EVERY_SECS * f64::from(clinicdesk_scribe::SAMPLE_RATE)) as usize;
        let mut failure = None;
        loop {
            match audio.recv_timeout(Duration::from_millis(100)) {
                Ok(block) => {
                    live.feed(block.clone());
                    pending.extend(block);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let new: Vec<Segment> = live
                .events()
                .try_iter()
                .filter_map(|e| match e {
                    Event::Segment(s) => Some(s),
                    Event::Progress(_) => None,
                })
                .collect();
            self.save_segments(&new)?;
            stored += new.len();
            if pending.len() >= save_every {
                self.save_audio(&std::mem::take(&mut pending))?;
            }
            if let Ok(f) = failures.try_recv() {
                failure = Some(f);
                break;
            }
            if self.control.try_recv().is_ok() {
                break;
            }
        }
        drop(recorder);
        // What the microphone delivered before it stopped.
        for block in audio.try_iter() {
            live.feed(block.clone());
            pending.extend(block);
        }
        self.save_audio(&std::mem::take(&mut pending))?;
        if self.cancel.is_cancelled() {
            return Err(clinicdesk_scribe::Error::Cancelled.to_string());
        }
        self.transcribing()?;
        let transcript = live.finish().map_err(|e| e.to_string())?;
        let rest: Vec<Segment> = transcript
            .segments
            .get(stored..)
            .unwrap_or_default()
            .to_vec();
        self.save_segments(&rest)?;
        match failure {
            // The text of what was recorded is kept; the note says why it stopped.
            Some(f) => Err(format!(
                "The microphone stopped working ({f}); what was recorded until then is kept"
            )),
            None => self.done(transcript.duration_secs),
        }
    }

    fn import(
        &mut self,
        model: &Model,
        bytes: Vec<u8>,
        name: &str,
    ) -> std::result::Result<(), String> {
        let audio = load_audio_bytes(bytes, name).map_err(|e| e.to_string())?;
        if audio.duration_secs() > MAX_IMPORT_SECS {
            return Err(format!(
                "{name} is {:.0} minutes long; recordings of at most {:.0} minutes can be transcribed",
                audio.duration_secs() / 60.0,
                MAX_IMPORT_SECS / 60.0
            ));
        }
        // Saved in pieces like a recording, so the audio is in the store
        // before any text is made from it.
        let piece = 10 * clinicdesk_scribe::SAMPLE_RATE as usize;
        for chunk in audio.samples.chunks(piece) {
            if self.cancel.is_cancelled() {
                return Err(clinicdesk_scribe::Error::Cancelled.to_string());
            }
            self.save_audio(chunk)?;
        }
        self.transcribing()?;
        self.transcribe_all(model, audio.samples)
    }

    fn retranscribe(&mut self, model: &Model) -> std::result::Result<(), String> {
        let samples = self
            .store
            .dictation_audio(&self.session, &self.id)
            .map_err(|e| e.to_string())?;
        self.update(|u| {
            u.phase = ScribePhase::Transcribing;
            u.progress = Some(0.0);
        });
        self.transcribe_all(model, samples)
    }

    fn transcribe_all(
        &mut self,
        model: &Model,
        samples: Vec<f32>,
    ) -> std::result::Result<(), String> {
        let duration = samples.len() as f64 / f64::from(clinicdesk_scribe::SAMPLE_RATE);
        let cancel = self.cancel.clone();
        let mut failure: Option<String> = None;
        let result =
            clinicdesk_scribe::transcribe(model, Options::default(), samples, &cancel, |e| {
                if failure.is_some() {
                    return;
                }
                match e {
                    Event::Segment(s) => {
                        if let Err(f) = self.save_segments(std::slice::from_ref(s)) {
                            failure = Some(f);
                            cancel.cancel();
                        }
                    }
                    Event::Progress(p) => self.progress(*p),
                }
            });
        if let Some(f) = failure {
            return Err(f);
        }
        result.map_err(|e| e.to_string())?;
        self.done(duration)
    }

    fn done(&mut self, duration: f64) -> std::result::Result<(), String> {
        self.store
            .dictation_done(&self.session, &self.id, duration)
            .map_err(|e| e.to_string())?;
        self.update(|u| {
            u.phase = ScribePhase::Done;
            u.progress = Some(1.0);
        });
        Ok(())
    }

    /// Records how the dictation ended when it did not finish normally.
    fn end(&mut self, outcome: std::result::Result<(), String>) {
        let Err(message) = outcome else { return };
        let cancelled = self.cancel.is_cancelled();
        let saved = if cancelled {
            self.store.dictation_cancelled(&self.session, &self.id)
        } else {
            self.store
                .dictation_failed(&self.session, &self.id, &message)
        };
        self.update(|u| {
            u.phase = if cancelled {
                ScribePhase::Cancelled
            } else {
                ScribePhase::Failed
            };
            u.error = match (&saved, cancelled) {
                (Err(e), _) => Some(format!(
                    "{message}. The dictation's state could not be saved either: {e}"
                )),
                (Ok(_), true) => None,
                (Ok(_), false) => Some(message.clone()),
            };
        });
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    // Data URLs ("data:audio/mp4;base64,....") are accepted as they come.
    let body = text.rsplit_once(',').map_or(text, |(_, b)| b);
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_arrives_plain_or_as_a_data_url() {
        assert_eq!(decode_base64("aGk=").unwrap(), b"hi");
        assert_eq!(decode_base64("data:audio/wav;base64,aGk=").unwrap(), b"hi");
        assert!(decode_base64("not base64!").is_none());
    }

    #[test]
    fn the_model_comes_from_the_environment_or_the_data_folder() {
        let c = model_candidates(Path::new("/clinic"));
        if std::env::var_os("CLINICDESK_MODEL").is_none() {
            assert_eq!(c[0], Path::new("/clinic/models/ggml-base.en.bin"));
            assert!(c.contains(&PathBuf::from("/clinic/models/ggml-tiny.en.bin")));
        } else {
            assert_eq!(c.len(), 1);
        }
    }
}
