//! ClinicDesk Scribe: speech to text for dictation, entirely on this
//! computer. Audio comes from files (WAV, MP3, M4A/AAC, OGG Vorbis, FLAC) or
//! the microphone, is mixed to mono and resampled to 16 kHz, and is
//! transcribed by a Whisper model (whisper.cpp) on a worker thread that
//! reports timed segments as they are ready. Nothing here uses the network.

pub mod audio;
pub mod convert;
pub mod error;
mod model_file;
pub mod record;
pub mod resample;
pub mod transcribe;
pub mod wer;

pub use audio::{load as load_audio, load_bytes as load_audio_bytes, Audio, SAMPLE_RATE};
pub use error::{Error, Result};
pub use record::{microphone_available, Recorder};
pub use transcribe::{
    transcribe, CancelHandle, Event, Feeder, Model, Options, Segment, Session, Transcript,
};
