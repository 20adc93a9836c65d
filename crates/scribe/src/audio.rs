//! Audio files to 16 kHz mono: WAV, MP3, M4A/AAC, OGG Vorbis and FLAC,
//! decoded with symphonia, mixed down and resampled.

use crate::error::{Error, Result};
use crate::resample::Resampler;
use std::path::{Path, PathBuf};
use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{DecoderOptions, CODEC_TYPE_NULL};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

/// Whisper's sample rate.
pub const SAMPLE_RATE: u32 = 16_000;

/// Decoded audio, mono at [`SAMPLE_RATE`].
#[derive(Debug, Clone)]
pub struct Audio {
    pub samples: Vec<f32>,
    /// The file's own rate and channel count, before conversion.
    pub source_rate: u32,
    pub source_channels: usize,
}

impl Audio {
    pub fn duration_secs(&self) -> f64 {
        self.samples.len() as f64 / f64::from(SAMPLE_RATE)
    }
}

/// Reads an audio file as 16 kHz mono.
pub fn load(path: &Path) -> Result<Audio> {
    let file = std::fs::File::open(path).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    })?;
    decode(Box::new(file), path)
}

/// Decodes audio held in memory (a file the app was handed, never written
/// to disk); `name` gives the format hint and names it in errors.
pub fn load_bytes(bytes: Vec<u8>, name: &str) -> Result<Audio> {
    decode(Box::new(std::io::Cursor::new(bytes)), Path::new(name))
}

fn decode(source: Box<dyn symphonia::core::io::MediaSource>, path: &Path) -> Result<Audio> {
    let mss = MediaSourceStream::new(source, Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| classify(path, e, true))?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| Error::NoAudio {
            path: path.to_path_buf(),
        })?;
    let track_id = track.id;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| classify(path, e, true))?;

    let mut resampler: Option<Resampler> = None;
    let mut source_rate = track.codec_params.sample_rate.unwrap_or(0);
    let mut channels = 0;
    let mut out = Vec::new();
    let mut decoded_any = false;
    let mut bad_packets = 0usize;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(classify(path, e, false)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(b) => b,
            // A damaged packet is skipped, as players do; a file of nothing
            // but damage is reported below.
            Err(SymError::DecodeError(_)) => {
                bad_packets += 1;
                continue;
            }
            Err(e) => return Err(classify(path, e, false)),
        };
        let spec = *buf.spec();
        if buf.frames() == 0 {
            continue;
        }
        if spec.rate == 0 {
            return Err(corrupt(path, "the sample rate is zero"));
        }
        let n_ch = spec.channels.count().max(1);
        if resampler.is_none() {
            source_rate = spec.rate;
            channels = n_ch;
            resampler = Some(Resampler::new(spec.rate, SAMPLE_RATE));
        } else if spec.rate != source_rate {
            return Err(corrupt(path, "the sample rate changes mid-stream"));
        }
        let mut sb = SampleBuffer::<f32>::new(buf.capacity() as u64, spec);
        sb.copy_interleaved_ref(buf);
        let mono: Vec<f32> = sb
            .samples()
            .chunks(n_ch)
            .map(|frame| frame.iter().sum::<f32>() / frame.len() as f32)
            .collect();
        decoded_any = true;
        if let Some(r) = resampler.as_mut() {
            out.extend(r.push(&mono));
        }
    }
    if let Some(r) = resampler.as_mut() {
        out.extend(r.finish());
    }
    if !decoded_any {
        if bad_packets > 0 {
            return Err(corrupt(path, "no packet could be decoded"));
        }
        return Err(Error::NoAudio {
            path: path.to_path_buf(),
        });
    }
    Ok(Audio {
        samples: out,
        source_rate,
        source_channels: channels,
    })
}

fn corrupt(path: &Path, detail: &str) -> Error {
    Error::CorruptAudio {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

fn classify(path: &Path, e: SymError, opening: bool) -> Error {
    let path: PathBuf = path.to_path_buf();
    match e {
        SymError::Unsupported(what) => Error::UnsupportedFormat {
            path,
            detail: Some(what.to_string()),
        },
        // The probe read everything it could and recognised nothing.
        SymError::IoError(e) if opening && e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::UnsupportedFormat { path, detail: None }
        }
        SymError::IoError(e) => Error::Io { path, source: e },
        SymError::DecodeError(d) => Error::CorruptAudio {
            path,
            detail: d.to_string(),
        },
        other => Error::CorruptAudio {
            path,
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 16-bit PCM WAV file.
    fn wav(rate: u32, channels: u16, frames: &[Vec<i16>]) -> Vec<u8> {
        let data: Vec<u8> = frames
            .iter()
            .flat_map(|f| f.iter().flat_map(|s| s.to_le_bytes()))
            .collect();
        let mut b = Vec::new();
        b.extend_from_slice(b"RIFF");
        b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
        b.extend_from_slice(b"WAVEfmt ");
        b.extend_from_slice(&16u32.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&channels.to_le_bytes());
        b.extend_from_slice(&rate.to_le_bytes());
        b.extend_from_slice(&(rate * u32::from(channels) * 2).to_le_bytes());
        b.extend_from_slice(&(channels * 2).to_le_bytes());
        b.extend_from_slice(&16u16.to_le_bytes());
        b.extend_from_slice(b"data");
        b.extend_from_slice(&(data.len() as u32).to_le_bytes());
        b.extend_from_slice(&data);
        b
    }

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn stereo_wav_is_mixed_down_and_resampled() {
        let dir = tempfile::tempdir().unwrap();
        // Two seconds at 48 kHz: left a 1 kHz tone, right silent.
        let frames: Vec<Vec<i16>> = (0..96_000)
            .map(|i| {
                let v = (f64::from(i) * 2.0 * std::f64::consts::PI * 1000.0 / 48_000.0).sin();
                vec![(v * 16_000.0) as i16, 0]
            })
            .collect();
        let p = write(&dir, "tone.wav", &wav(48_000, 2, &frames));
        let a = load(&p).unwrap();
        assert_eq!((a.source_rate, a.source_channels), (48_000, 2));
        assert_eq!(a.samples.len(), 32_000);
        // Mono is the mean of the channels: peak 16000/32768/2.
        let peak = a.samples[4_000..28_000]
            .iter()
            .fold(0.0f32, |m, &v| m.max(v.abs()));
        assert!((peak - 0.244).abs() < 0.01, "peak {peak}");
    }

    #[test]
    fn bad_files_give_specific_errors() {
        let dir = tempfile::tempdir().unwrap();
        let text = write(
            &dir,
            "notes.wav",
            b"Patient seen today; no audio here at all.",
        );
        assert!(
            matches!(load(&text), Err(Error::UnsupportedFormat { .. })),
            "{:?}",
            load(&text)
        );
        let empty = write(&dir, "empty.mp3", b"");
        let e = load(&empty).unwrap_err();
        assert!(e.to_string().contains("empty.mp3"), "{e}");

        let good = wav(16_000, 1, &vec![vec![1000i16]; 16_000]);
        // Header cut short: not recognisable, or corrupt; never a panic.
        let cut = write(&dir, "cut.wav", &good[..30]);
        assert!(load(&cut).is_err());
        // Header intact, data claims more than is there: the audio that is
        // there still loads.
        let short = write(&dir, "short.wav", &good[..good.len() / 2]);
        let a = load(&short).unwrap();
        assert!(
            (a.duration_secs() - 0.5).abs() < 0.01,
            "{}",
            a.duration_secs()
        );

        let missing = dir.path().join("missing.flac");
        let e = load(&missing).unwrap_err();
        assert!(
            matches!(e, Error::Io { .. }) && e.to_string().contains("missing.flac"),
            "{e}"
        );

        let mut junk = b"fLaC".to_vec();
        junk.extend((0..4_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8));
        let junk = write(&dir, "junk.flac", &junk);
        let e = load(&junk).unwrap_err();
        assert!(e.to_string().contains("junk.flac"), "{e}");
    }
}
