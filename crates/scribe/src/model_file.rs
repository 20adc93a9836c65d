//! What Scribe reads of a ggml model file before handing it to whisper.cpp.
//!
//! whisper.cpp loads a model whose weights are all 32-bit floats (ftype 0,
//! what its converter writes when asked for f32), but its encoder then
//! aborts the whole process on the first window: the convolution's
//! `im2col` accepts only f16 kernels. So such a file is refused here, with
//! a sentence, before whisper.cpp sees it.

use crate::error::{Error, Result};
use std::io::Read;
use std::path::Path;

/// "ggml" as whisper.cpp's loader reads it (a little-endian u32).
pub(crate) const GGML_MAGIC: u32 = 0x6767_6d6c;

/// The ftype sits after the magic and ten hyper-parameters.
const FTYPE_OFFSET: usize = 4 + 10 * 4;
/// whisper.cpp stores the quantization version as ftype's thousands.
const QUANT_VERSION_FACTOR: i32 = 1000;
const ALL_F32: i32 = 0;

/// Refuses a model whisper.cpp would load but could not run. Files that are
/// not ggml at all are left to whisper.cpp's loader, which refuses them.
pub(crate) fn refuse_unrunnable(path: &Path) -> Result<()> {
    let mut head = [0u8; FTYPE_OFFSET + 4];
    let read = std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        });
    match read {
        Ok(()) => {}
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Ok(())
        }
        Err(e) => return Err(e),
    }
    let word = |at: usize| [head[at], head[at + 1], head[at + 2], head[at + 3]];
    if u32::from_le_bytes(word(0)) != GGML_MAGIC {
        return Ok(());
    }
    let ftype = i32::from_le_bytes(word(FTYPE_OFFSET));
    if ftype % QUANT_VERSION_FACTOR == ALL_F32 {
        return Err(Error::ModelAllF32 {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(ftype: i32) -> Vec<u8> {
        let mut h = GGML_MAGIC.to_le_bytes().to_vec();
        for v in [51864, 1500, 384, 6, 4, 448, 384, 6, 4, 80, ftype] {
            h.extend_from_slice(&i32::to_le_bytes(v));
        }
        h.extend_from_slice(&[0; 64]);
        h
    }

    fn check(bytes: &[u8]) -> Result<()> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("model.bin");
        std::fs::write(&p, bytes).unwrap();
        refuse_unrunnable(&p)
    }

    #[test]
    fn an_all_f32_model_is_refused_with_what_to_use_instead() {
        let e = check(&header(0)).unwrap_err();
        assert!(matches!(e, Error::ModelAllF32 { .. }), "{e}");
        assert!(e.to_string().contains("f16"), "{e}");
        // The same with a quantization version in the thousands.
        assert!(check(&header(1000)).is_err());
    }

    #[test]
    fn f16_and_quantized_models_pass() {
        for ftype in [1, 2, 8, 1001, 2007] {
            check(&header(ftype)).unwrap();
        }
    }

    #[test]
    fn short_or_foreign_files_are_left_to_the_loader() {
        check(b"ggml").unwrap();
        check(&[0; 100]).unwrap();
    }
}
