//! `transcribe AUDIO`: speech to text with the local Whisper model, no
//! store and no network. Segments print as they are ready; `--json` prints
//! one document at the end.

use crate::error::{CliError, Result};
use crate::output::{emit, Printer};
use clinicdesk_scribe::{CancelHandle, Event, Model, Options};
use serde::Serialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// Where a model is looked for when neither --model nor CLINICDESK_MODEL
/// names one, relative to a directory: beside the executable, the two
/// directories above it (a build's target/debug in the repository), and the
/// current directory.
const DEFAULT_MODEL: &str = "models/ggml-tiny.en.bin";

#[derive(Debug, clap::Args)]
pub struct TranscribeArgs {
    /// An audio file: WAV, MP3, M4A/AAC, OGG Vorbis or FLAC
    audio: PathBuf,
    /// A Whisper model in ggml format [default: CLINICDESK_MODEL, else
    /// models/ggml-tiny.en.bin beside the executable or in the current
    /// directory; models/obtain.sh makes it]
    #[arg(long, env = "CLINICDESK_MODEL", value_name = "FILE")]
    model: Option<PathBuf>,
    /// CPU threads for transcription
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
}

#[derive(Serialize)]
struct Report {
    file: String,
    model: String,
    duration_secs: f64,
    /// From the model being loaded to the transcript: decoding the audio
    /// and transcribing it, without start-up.
    transcribe_secs: f64,
    text: String,
    segments: Vec<clinicdesk_scribe::Segment>,
}

fn candidates() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.extend(exe_dir.ancestors().take(3).map(Path::to_path_buf));
    }
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd);
    }
    dirs.into_iter().map(|d| d.join(DEFAULT_MODEL)).collect()
}

fn model_path(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p);
    }
    let tried = candidates();
    tried.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        CliError::failed(format!(
            "no speech model found (looked for {}); run models/obtain.sh, or pass --model FILE or set CLINICDESK_MODEL",
            tried
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// `12.3` as `00:12.30`; hours only when needed.
fn clock(secs: f64) -> String {
    let cs = (secs.max(0.0) * 100.0).round() as u64;
    let (h, m, s, c) = (cs / 360_000, cs / 6_000 % 60, cs / 100 % 60, cs % 100);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}.{c:02}")
    } else {
        format!("{m:02}:{s:02}.{c:02}")
    }
}

fn line(s: &clinicdesk_scribe::Segment) -> String {
    format!(
        "[{} --> {}] {}\n",
        clock(s.start_secs),
        clock(s.end_secs),
        s.text
    )
}

fn scribe_err(e: clinicdesk_scribe::Error) -> CliError {
    CliError::failed(e.to_string())
}

pub fn run(out: Printer, args: TranscribeArgs) -> Result<()> {
    let path = model_path(args.model)?;
    let model = Model::load(&path).map_err(scribe_err)?;
    let started = std::time::Instant::now();
    let audio = clinicdesk_scribe::load_audio(&args.audio).map_err(scribe_err)?;
    let duration = audio.duration_secs();
    let options = Options {
        threads: usize::from(args.threads),
        ..Options::default()
    };
    let show_progress = std::io::stderr().is_terminal();
    let mut failed_output = None;
    let transcript =
        clinicdesk_scribe::transcribe(&model, options, audio.samples, &CancelHandle::new(), |e| {
            match e {
                Event::Segment(s) if !out.json && failed_output.is_none() => {
                    if let Err(e) = emit(&line(s)) {
                        failed_output = Some(e);
                    }
                }
                Event::Progress(p) if show_progress => {
                    eprint!("\rtranscribing: {:3.0}%", p * 100.0);
                }
                _ => {}
            }
        })
        .map_err(scribe_err);
    if show_progress {
        eprint!("\r\x1b[K");
    }
    let transcript = transcript?;
    if let Some(e) = failed_output {
        return Err(e);
    }
    if out.json {
        out.show(
            &Report {
                file: args.audio.display().to_string(),
                model: path.display().to_string(),
                duration_secs: duration,
                transcribe_secs: started.elapsed().as_secs_f64(),
                text: transcript.text,
                segments: transcript.segments,
            },
            |_| String::new(),
        )
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_reads_like_subtitles() {
        assert_eq!(clock(0.0), "00:00.00");
        assert_eq!(clock(12.345), "00:12.35");
        assert_eq!(clock(75.5), "01:15.50");
        assert_eq!(clock(3_723.0), "1:02:03.00");
    }

    #[test]
    fn a_missing_model_says_how_to_get_one() {
        let e = Model::load(Path::new("/no/such/model.bin"))
            .map_err(scribe_err)
            .unwrap_err();
        assert!(e.to_string().contains("models/obtain.sh"));
    }
}
