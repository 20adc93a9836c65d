//! Everything that can go wrong in Scribe, each as a sentence a person can act on.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: unsupported audio format{}; use WAV, MP3, M4A/AAC, OGG Vorbis or FLAC", path.display(), detail.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    UnsupportedFormat {
        path: PathBuf,
        detail: Option<String>,
    },
    #[error("{}: the audio is corrupt: {detail}", path.display())]
    CorruptAudio { path: PathBuf, detail: String },
    #[error("{}: the file has no audio", path.display())]
    NoAudio { path: PathBuf },
    #[error("no speech model at {}; run models/obtain.sh (or pass --model / set CLINICDESK_MODEL)", path.display())]
    ModelMissing { path: PathBuf },
    #[error("{} is not a Whisper model whisper.cpp can load; obtain one with models/obtain.sh", path.display())]
    ModelInvalid { path: PathBuf },
    #[error("{} stores its weights as 32-bit floats, which whisper.cpp loads but cannot run; use a 16-bit (f16) or quantized ggml model, such as models/obtain.sh makes", path.display())]
    ModelAllF32 { path: PathBuf },
    #[error("this computer's processor lacks {missing}, which speech transcription needs (any Intel processor from 2013 or AMD processor from 2015 on has it); dictation is not available on this computer")]
    UnsupportedCpu { missing: String },
    #[error("model conversion failed: {0}")]
    Conversion(String),
    #[error("transcription failed: {0}")]
    Transcription(String),
    #[error("transcription was cancelled")]
    Cancelled,
    #[error("no microphone is available")]
    NoMicrophone,
    #[error("the microphone failed: {0}")]
    Microphone(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
