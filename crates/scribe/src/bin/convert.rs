//! `clinicdesk-scribe-convert MODEL_DIR OUT.bin`: converts a CTranslate2
//! Whisper model (model.bin and vocabulary.txt, as faster-whisper uses) into
//! the ggml file whisper.cpp loads. `--check FILE.bin` loads a ggml model to
//! prove whisper.cpp accepts it. models/obtain.sh runs both.

use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let result = match args.as_slice() {
        [flag, file] if flag.as_os_str() == "--check" => check(file),
        [dir, out] => run(dir, out),
        _ => {
            eprintln!("usage: clinicdesk-scribe-convert CT2_MODEL_DIR OUT.bin | --check FILE.bin");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(dir: &std::path::Path, out: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    // Written beside the target and renamed, so a failed run leaves no
    // half-written model where the app looks for one.
    let tmp = out.with_extension("bin.part");
    let file = std::fs::File::create(&tmp)
        .map_err(|e| format!("could not create {}: {e}", tmp.display()))?;
    let mut w = BufWriter::new(file);
    let done = clinicdesk_scribe::convert::convert_ct2_dir(dir, &mut w);
    drop(w);
    let done = match done {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e.into());
        }
    };
    std::fs::rename(&tmp, out)
        .map_err(|e| format!("could not move the model to {}: {e}", out.display()))?;
    let hp = done.hyper_params;
    println!(
        "{}: {} tensors, {} tokens, {} bytes (audio {}x{} layers {}, text {}x{} layers {}, {} mels)",
        out.display(),
        done.tensors,
        done.vocabulary,
        done.bytes,
        hp.n_audio_ctx,
        hp.n_audio_state,
        hp.n_audio_layer,
        hp.n_text_ctx,
        hp.n_text_state,
        hp.n_text_layer,
        hp.n_mels
    );
    Ok(())
}

fn check(file: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    let model = clinicdesk_scribe::Model::load(file)?;
    println!(
        "{}: loads ({})",
        file.display(),
        if model.is_multilingual() {
            "multilingual"
        } else {
            "English only"
        }
    );
    Ok(())
}
