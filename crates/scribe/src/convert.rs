//! Conversion of a CTranslate2 Whisper model (a directory with `model.bin`
//! and `vocabulary.txt`, as faster-whisper uses) into the single-file ggml
//! format whisper.cpp loads.
//!
//! The ggml file is: magic, eleven i32 hyper-parameters, the mel filterbank
//! (`n_mel` × `n_fft` f32), the byte-level BPE vocabulary, then every tensor
//! as `n_dims, name_len, type, dims (innermost first), name, data`.
//! Weight matrices are f16; vectors, conv biases and positional embeddings
//! are f32, which is what whisper.cpp's loader checks byte for byte.

use crate::error::{Error, Result};
use crate::model_file::GGML_MAGIC;
use half::f16;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

const SAMPLE_RATE: f64 = 16_000.0;
const N_FFT: usize = 400;

/// One variable of a CTranslate2 `model.bin`.
#[derive(Debug, Clone)]
pub struct Variable {
    pub shape: Vec<usize>,
    pub data: Data,
}

#[derive(Debug, Clone)]
pub enum Data {
    F32(Vec<f32>),
    F16(Vec<f16>),
    Bf16(Vec<half::bf16>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
}

impl Variable {
    fn len(&self) -> usize {
        self.shape.iter().product()
    }

    fn scalar_i64(&self) -> Option<i64> {
        if self.len() != 1 {
            return None;
        }
        Some(match &self.data {
            Data::I8(v) => i64::from(v[0]),
            Data::I16(v) => i64::from(v[0]),
            Data::I32(v) => i64::from(v[0]),
            _ => return None,
        })
    }

    /// The values as f32, with int8/int16 weights multiplied back by `1/scale`
    /// (CTranslate2 stores `round(w * scale)` with one scale per row).
    fn to_f32(&self, name: &str, scale: Option<&Variable>) -> Result<Vec<f32>> {
        let values: Vec<f32> = match &self.data {
            Data::F32(v) => v.clone(),
            Data::F16(v) => v.iter().map(|x| x.to_f32()).collect(),
            Data::Bf16(v) => v.iter().map(|x| x.to_f32()).collect(),
            Data::I8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            Data::I16(v) => v.iter().map(|&x| f32::from(x)).collect(),
            Data::I32(_) => return Err(bad(format!("{name} holds integers, not weights"))),
        };
        let quantized = matches!(self.data, Data::I8(_) | Data::I16(_));
        match (quantized, scale) {
            (false, _) => Ok(values),
            (true, None) => Err(bad(format!("{name} is quantized but has no scale"))),
            (true, Some(s)) => {
                let scales = s.to_f32(&format!("{name}_scale"), None)?;
                let rows = self.shape.first().copied().unwrap_or(1).max(1);
                let per_row = values.len() / rows;
                if scales.len() == 1 {
                    Ok(values.iter().map(|v| v / scales[0]).collect())
                } else if scales.len() == rows {
                    Ok(values
                        .chunks(per_row.max(1))
                        .zip(&scales)
                        .flat_map(|(row, s)| row.iter().map(move |v| v / s))
                        .collect())
                } else {
                    Err(bad(format!(
                        "{name} has {rows} rows but {} scales",
                        scales.len()
                    )))
                }
            }
        }
    }
}

fn bad(msg: String) -> Error {
    Error::Conversion(msg)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| bad(format!("model.bin ends early (at byte {})", self.pos)))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn string(&mut self) -> Result<String> {
        let n = usize::from(self.u16()?);
        let b = self.take(n)?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        String::from_utf8(b.to_vec()).map_err(|_| bad("a name in model.bin is not UTF-8".into()))
    }
}

/// Reads a CTranslate2 `model.bin` (binary versions 3 to 6); aliases are
/// resolved to copies of the variable they name.
pub fn read_ct2(bytes: &[u8]) -> Result<(String, BTreeMap<String, Variable>)> {
    let mut r = Reader { bytes, pos: 0 };
    let version = r.u32()?;
    if !(3..=6).contains(&version) {
        return Err(bad(format!(
            "model.bin has binary version {version}; versions 3 to 6 are supported"
        )));
    }
    let spec = r.string()?;
    let _revision = r.u32()?;
    let count = r.u32()?;
    let mut vars = BTreeMap::new();
    for _ in 0..count {
        let name = r.string()?;
        let rank = usize::from(r.u8()?);
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(r.u32()? as usize);
        }
        let dtype = r.u8()?;
        let nbytes = r.u32()? as usize;
        let raw = r.take(nbytes)?;
        let elements: usize = shape.iter().product();
        let size = match dtype {
            0 | 3 => 4,
            1 => 1,
            2 | 4 | 5 => 2,
            other => return Err(bad(format!("{name} has unknown data type {other}"))),
        };
        if elements * size != nbytes {
            return Err(bad(format!(
                "{name}: shape {shape:?} does not match its {nbytes} bytes"
            )));
        }
        let data = match dtype {
            0 => Data::F32(
                raw.chunks_exact(4)
                    .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            1 => Data::I8(raw.iter().map(|&b| b as i8).collect()),
            2 => Data::I16(
                raw.chunks_exact(2)
                    .map(|c| i16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
            3 => Data::I32(
                raw.chunks_exact(4)
                    .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                    .collect(),
            ),
            4 => Data::F16(
                raw.chunks_exact(2)
                    .map(|c| f16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
            _ => Data::Bf16(
                raw.chunks_exact(2)
                    .map(|c| half::bf16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
        };
        vars.insert(name, Variable { shape, data });
    }
    if version >= 2 && r.pos < bytes.len() {
        let aliases = r.u32()?;
        for _ in 0..aliases {
            let alias = r.string()?;
            let target = r.string()?;
            let v = vars
                .get(&target)
                .cloned()
                .ok_or_else(|| bad(format!("alias {alias} names missing {target}")))?;
            vars.insert(alias, v);
        }
    }
    Ok((spec, vars))
}

/// Whisper's 80- (or 128-) band mel filterbank for 16 kHz audio and a
/// 400-point FFT: librosa's `filters.mel(sr=16000, n_fft=400, n_mels)` with
/// the Slaney mel scale and Slaney area normalisation, as in
/// `mel_filters.npz` of the original Whisper release. Row-major
/// `n_mels` × 201.
pub fn mel_filters(n_mels: usize) -> Vec<f32> {
    fn hz_to_mel(f: f64) -> f64 {
        let f_sp = 200.0 / 3.0;
        let min_log_hz = 1000.0;
        let min_log_mel = min_log_hz / f_sp;
        let logstep = 6.4f64.ln() / 27.0;
        if f >= min_log_hz {
            min_log_mel + (f / min_log_hz).ln() / logstep
        } else {
            f / f_sp
        }
    }
    fn mel_to_hz(m: f64) -> f64 {
        let f_sp = 200.0 / 3.0;
        let min_log_hz = 1000.0;
        let min_log_mel = min_log_hz / f_sp;
        let logstep = 6.4f64.ln() / 27.0;
        if m >= min_log_mel {
            min_log_hz * (logstep * (m - min_log_mel)).exp()
        } else {
            f_sp * m
        }
    }
    let n_bins = N_FFT / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_bins)
        .map(|i| i as f64 * (SAMPLE_RATE / 2.0) / (n_bins - 1) as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut out = Vec::with_capacity(n_mels * n_bins);
    for i in 0..n_mels {
        let (left, centre, right) = (mel_f[i], mel_f[i + 1], mel_f[i + 2]);
        let enorm = 2.0 / (right - left);
        for &f in &fft_freqs {
            let lower = (f - left) / (centre - left);
            let upper = (right - f) / (right - centre);
            out.push((lower.min(upper).max(0.0) * enorm) as f32);
        }
    }
    out
}

/// GPT-2's reversible mapping of bytes to printable characters, inverted:
/// CTranslate2's vocabulary lists tokens in that printable form.
fn unicode_to_byte() -> std::collections::HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~'))
        .chain(0xA1..=0xAC)
        .chain(0xAE..=0xFF)
        .collect();
    let mut chars: Vec<u32> = printable.clone();
    let mut n = 0;
    for b in 0..256u32 {
        if !printable.contains(&b) {
            printable.push(b);
            chars.push(256 + n);
            n += 1;
        }
    }
    printable
        .into_iter()
        .zip(chars)
        .filter_map(|(b, c)| Some((char::from_u32(c)?, b as u8)))
        .collect()
}

/// The BPE tokens (before `<|endoftext|>`) as raw bytes, as whisper.cpp
/// expects; it names the special tokens after them itself.
pub fn vocabulary_bytes(vocabulary_txt: &str) -> Result<Vec<Vec<u8>>> {
    let table = unicode_to_byte();
    let mut tokens = Vec::new();
    for line in vocabulary_txt.lines() {
        if line == "<|endoftext|>" {
            return Ok(tokens);
        }
        let bytes = line
            .chars()
            .map(|c| table.get(&c).copied())
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| {
                bad(format!(
                    "vocabulary token {} ({line:?}) is not byte-level BPE",
                    tokens.len()
                ))
            })?;
        tokens.push(bytes);
    }
    Err(bad(
        "vocabulary.txt has no <|endoftext|> token; is it a Whisper vocabulary?".into(),
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct HyperParams {
    pub n_vocab: usize,
    pub n_audio_ctx: usize,
    pub n_audio_state: usize,
    pub n_audio_head: usize,
    pub n_audio_layer: usize,
    pub n_text_ctx: usize,
    pub n_text_state: usize,
    pub n_text_head: usize,
    pub n_text_layer: usize,
    pub n_mels: usize,
}

enum Kind {
    /// Stored as f16 (weight matrices and conv kernels).
    Half,
    /// Stored as f32 (vectors, conv biases, positional embeddings).
    Full,
}

struct Out {
    name: String,
    /// Outermost dimension first, as in PyTorch/NumPy.
    shape: Vec<usize>,
    values: Vec<f32>,
    kind: Kind,
}

struct Model<'a> {
    vars: &'a BTreeMap<String, Variable>,
}

impl Model<'_> {
    fn var(&self, name: &str) -> Result<&Variable> {
        self.vars
            .get(name)
            .ok_or_else(|| bad(format!("model.bin has no variable {name}")))
    }

    fn values(&self, name: &str) -> Result<Vec<f32>> {
        let v = self.var(name)?;
        v.to_f32(name, self.vars.get(&format!("{name}_scale")))
    }

    fn dims(&self, name: &str) -> Result<Vec<usize>> {
        Ok(self.var(name)?.shape.clone())
    }

    fn count_layers(&self, prefix: &str) -> usize {
        (0..)
            .take_while(|i| {
                self.vars
                    .contains_key(&format!("{prefix}/layer_{i}/ffn/linear_0/weight"))
            })
            .count()
    }

    fn int(&self, name: &str) -> Result<usize> {
        self.var(name)?
            .scalar_i64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| bad(format!("{name} is not a count")))
    }
}

/// Splits a fused projection (`[q; k; v]` rows) into `parts` equal blocks.
fn split_rows(values: &[f32], parts: usize) -> Vec<Vec<f32>> {
    let n = values.len() / parts;
    values.chunks(n).map(<[f32]>::to_vec).collect()
}

fn push(out: &mut Vec<Out>, name: String, shape: Vec<usize>, values: Vec<f32>) {
    let kind = if shape.len() >= 2 && !name.ends_with("positional_embedding") {
        Kind::Half
    } else {
        Kind::Full
    };
    out.push(Out {
        name,
        shape,
        values,
        kind,
    });
}

/// Maps CTranslate2's Whisper variables onto the names and shapes of the
/// original Whisper checkpoint, which whisper.cpp uses.
fn tensors(m: &Model<'_>, hp: &HyperParams) -> Result<Vec<Out>> {
    let mut out = Vec::new();
    let d = hp.n_audio_state;
    let t = hp.n_text_state;

    push(
        &mut out,
        "encoder.positional_embedding".into(),
        vec![hp.n_audio_ctx, d],
        m.values("encoder/position_encodings/encodings")?,
    );
    for conv in ["conv1", "conv2"] {
        let w = format!("encoder/{conv}/weight");
        push(
            &mut out,
            format!("encoder.{conv}.weight"),
            m.dims(&w)?,
            m.values(&w)?,
        );
        // whisper.cpp adds the bias as a [n_state, 1] tensor, f32.
        let b = m.values(&format!("encoder/{conv}/bias"))?;
        out.push(Out {
            name: format!("encoder.{conv}.bias"),
            shape: vec![b.len(), 1],
            values: b,
            kind: Kind::Full,
        });
    }
    for i in 0..hp.n_audio_layer {
        let ct = format!("encoder/layer_{i}");
        let gg = format!("encoder.blocks.{i}");
        self_attention(m, &mut out, &ct, &gg, d)?;
        ffn(m, &mut out, &ct, &gg)?;
    }
    layer_norm(m, &mut out, "encoder/layer_norm", "encoder.ln_post")?;

    push(
        &mut out,
        "decoder.positional_embedding".into(),
        vec![hp.n_text_ctx, t],
        m.values("decoder/position_encodings/encodings")?,
    );
    push(
        &mut out,
        "decoder.token_embedding.weight".into(),
        vec![hp.n_vocab, t],
        m.values("decoder/embeddings/weight")?,
    );
    for i in 0..hp.n_text_layer {
        let ct = format!("decoder/layer_{i}");
        let gg = format!("decoder.blocks.{i}");
        self_attention(m, &mut out, &ct, &gg, t)?;
        // Cross-attention: linear_0 is the query, linear_1 the fused
        // key/value of the encoder output, linear_2 the output projection.
        let a = format!("{ct}/attention");
        layer_norm(
            m,
            &mut out,
            &format!("{a}/layer_norm"),
            &format!("{gg}.cross_attn_ln"),
        )?;
        linear(
            m,
            &mut out,
            &format!("{a}/linear_0"),
            &format!("{gg}.cross_attn.query"),
            true,
        )?;
        let kv_w = split_rows(&m.values(&format!("{a}/linear_1/weight"))?, 2);
        let kv_b = split_rows(&m.values(&format!("{a}/linear_1/bias"))?, 2);
        push(
            &mut out,
            format!("{gg}.cross_attn.key.weight"),
            vec![t, t],
            kv_w[0].clone(),
        );
        push(
            &mut out,
            format!("{gg}.cross_attn.value.weight"),
            vec![t, t],
            kv_w[1].clone(),
        );
        push(
            &mut out,
            format!("{gg}.cross_attn.value.bias"),
            vec![t],
            kv_b[1].clone(),
        );
        linear(
            m,
            &mut out,
            &format!("{a}/linear_2"),
            &format!("{gg}.cross_attn.out"),
            true,
        )?;
        ffn(m, &mut out, &ct, &gg)?;
    }
    layer_norm(m, &mut out, "decoder/layer_norm", "decoder.ln")?;
    Ok(out)
}

fn layer_norm(m: &Model<'_>, out: &mut Vec<Out>, ct: &str, gg: &str) -> Result<()> {
    let g = m.values(&format!("{ct}/gamma"))?;
    let b = m.values(&format!("{ct}/beta"))?;
    push(out, format!("{gg}.weight"), vec![g.len()], g);
    push(out, format!("{gg}.bias"), vec![b.len()], b);
    Ok(())
}

fn linear(m: &Model<'_>, out: &mut Vec<Out>, ct: &str, gg: &str, bias: bool) -> Result<()> {
    let w = format!("{ct}/weight");
    push(out, format!("{gg}.weight"), m.dims(&w)?, m.values(&w)?);
    if bias {
        let b = m.values(&format!("{ct}/bias"))?;
        push(out, format!("{gg}.bias"), vec![b.len()], b);
    }
    Ok(())
}

/// Self-attention: CTranslate2 fuses query, key and value into linear_0
/// (the key's bias, absent in Whisper, is zero and dropped).
fn self_attention(m: &Model<'_>, out: &mut Vec<Out>, ct: &str, gg: &str, n: usize) -> Result<()> {
    let a = format!("{ct}/self_attention");
    layer_norm(m, out, &format!("{a}/layer_norm"), &format!("{gg}.attn_ln"))?;
    let w = split_rows(&m.values(&format!("{a}/linear_0/weight"))?, 3);
    let b = split_rows(&m.values(&format!("{a}/linear_0/bias"))?, 3);
    if w.len() != 3 || b.len() != 3 || w[0].len() != n * n {
        return Err(bad(format!(
            "{a}/linear_0 is not a fused [q; k; v] projection of width {n}"
        )));
    }
    push(
        out,
        format!("{gg}.attn.query.weight"),
        vec![n, n],
        w[0].clone(),
    );
    push(out, format!("{gg}.attn.query.bias"), vec![n], b[0].clone());
    push(
        out,
        format!("{gg}.attn.key.weight"),
        vec![n, n],
        w[1].clone(),
    );
    push(
        out,
        format!("{gg}.attn.value.weight"),
        vec![n, n],
        w[2].clone(),
    );
    push(out, format!("{gg}.attn.value.bias"), vec![n], b[2].clone());
    linear(
        m,
        out,
        &format!("{a}/linear_1"),
        &format!("{gg}.attn.out"),
        true,
    )
}

fn ffn(m: &Model<'_>, out: &mut Vec<Out>, ct: &str, gg: &str) -> Result<()> {
    let f = format!("{ct}/ffn");
    layer_norm(m, out, &format!("{f}/layer_norm"), &format!("{gg}.mlp_ln"))?;
    linear(
        m,
        out,
        &format!("{f}/linear_0"),
        &format!("{gg}.mlp.0"),
        true,
    )?;
    linear(
        m,
        out,
        &format!("{f}/linear_1"),
        &format!("{gg}.mlp.2"),
        true,
    )
}

fn hyper_params(m: &Model<'_>) -> Result<HyperParams> {
    let emb = m.dims("decoder/embeddings/weight")?;
    let enc_pos = m.dims("encoder/position_encodings/encodings")?;
    let dec_pos = m.dims("decoder/position_encodings/encodings")?;
    let conv1 = m.dims("encoder/conv1/weight")?;
    let (
        &[n_vocab, n_text_state],
        &[n_audio_ctx, n_audio_state],
        &[n_text_ctx, _],
        &[_, n_mels, _],
    ) = (
        emb.as_slice(),
        enc_pos.as_slice(),
        dec_pos.as_slice(),
        conv1.as_slice(),
    )
    else {
        return Err(bad(
            "model.bin's embeddings or conv1 have unexpected ranks".into()
        ));
    };
    Ok(HyperParams {
        n_vocab,
        n_audio_ctx,
        n_audio_state,
        n_audio_head: m.int("encoder/num_heads")?,
        n_audio_layer: m.count_layers("encoder"),
        n_text_ctx,
        n_text_state,
        n_text_head: m.int("decoder/num_heads")?,
        n_text_layer: m.count_layers("decoder"),
        n_mels,
    })
}

/// What a conversion produced.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Converted {
    pub hyper_params: HyperParams,
    pub tensors: usize,
    pub vocabulary: usize,
    pub bytes: u64,
}

/// Converts the CTranslate2 model in `dir` (model.bin, vocabulary.txt) into
/// a ggml file written to `out`.
pub fn convert_ct2_dir(dir: &Path, out: &mut impl Write) -> Result<Converted> {
    let read = |name: &str| {
        let p = dir.join(name);
        std::fs::read(&p).map_err(|e| Error::Io {
            path: p.clone(),
            source: e,
        })
    };
    let model = read("model.bin")?;
    let vocab = read("vocabulary.txt")?;
    let vocab = String::from_utf8(vocab).map_err(|_| bad("vocabulary.txt is not UTF-8".into()))?;
    convert_ct2(&model, &vocab, out)
}

/// Converts a CTranslate2 Whisper `model.bin` and its `vocabulary.txt`.
pub fn convert_ct2(
    model_bin: &[u8],
    vocabulary_txt: &str,
    out: &mut impl Write,
) -> Result<Converted> {
    let (spec, vars) = read_ct2(model_bin)?;
    if spec != "WhisperSpec" {
        return Err(bad(format!("model.bin is a {spec}, not a Whisper model")));
    }
    let m = Model { vars: &vars };
    let hp = hyper_params(&m)?;
    let tokens = vocabulary_bytes(vocabulary_txt)?;
    let tensors = tensors(&m, &hp)?;

    let mut w = Counting {
        inner: out,
        bytes: 0,
    };
    let io = |e: std::io::Error| bad(format!("could not write the model: {e}"));
    let i32s = |w: &mut Counting<_>, vals: &[usize]| -> Result<()> {
        for &v in vals {
            let v = i32::try_from(v).map_err(|_| bad(format!("{v} does not fit the format")))?;
            w.write_all(&v.to_le_bytes()).map_err(io)?;
        }
        Ok(())
    };
    w.write_all(&GGML_MAGIC.to_le_bytes()).map_err(io)?;
    i32s(
        &mut w,
        &[
            hp.n_vocab,
            hp.n_audio_ctx,
            hp.n_audio_state,
            hp.n_audio_head,
            hp.n_audio_layer,
            hp.n_text_ctx,
            hp.n_text_state,
            hp.n_text_head,
            hp.n_text_layer,
            hp.n_mels,
            1, // ftype: mostly f16
        ],
    )?;
    let filters = mel_filters(hp.n_mels);
    i32s(&mut w, &[hp.n_mels, N_FFT / 2 + 1])?;
    for f in &filters {
        w.write_all(&f.to_le_bytes()).map_err(io)?;
    }
    i32s(&mut w, &[tokens.len()])?;
    for t in &tokens {
        i32s(&mut w, &[t.len()])?;
        w.write_all(t).map_err(io)?;
    }
    for t in &tensors {
        let expected: usize = t.shape.iter().product();
        if expected != t.values.len() {
            return Err(bad(format!(
                "{} has {} values for shape {:?}",
                t.name,
                t.values.len(),
                t.shape
            )));
        }
        let ttype = match t.kind {
            Kind::Full => 0,
            Kind::Half => 1,
        };
        i32s(&mut w, &[t.shape.len(), t.name.len(), ttype])?;
        let reversed: Vec<usize> = t.shape.iter().rev().copied().collect();
        i32s(&mut w, &reversed)?;
        w.write_all(t.name.as_bytes()).map_err(io)?;
        let mut buf = Vec::with_capacity(t.values.len() * 4);
        match t.kind {
            Kind::Full => t
                .values
                .iter()
                .for_each(|v| buf.extend_from_slice(&v.to_le_bytes())),
            Kind::Half => t
                .values
                .iter()
                .for_each(|v| buf.extend_from_slice(&f16::from_f32(*v).to_le_bytes())),
        }
        w.write_all(&buf).map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(Converted {
        hyper_params: hp,
        tensors: tensors.len(),
        vocabulary: tokens.len(),
        bytes: w.bytes,
    })
}

struct Counting<'a, W: Write> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mel_filters_are_slaney_triangles() {
        // Below 1 kHz the bands are spaced evenly, d = 37.24 Hz apart: band
        // m spans m*d to (m+2)*d with height 2 / (2d). Bin k is at 40k Hz.
        // Band 0 at 40 Hz: (2d - 40) / d / d; band 1 at 80 Hz: (3d - 80) / d / d.
        let f = mel_filters(80);
        assert_eq!(f.len(), 80 * 201);
        let at = |m: usize, k: usize| f[m * 201 + k];
        assert!((at(0, 1) - 0.024_862_3).abs() < 1e-6, "{}", at(0, 1));
        assert!((at(1, 2) - 0.022_871_8).abs() < 1e-6, "{}", at(1, 2));
        assert_eq!(at(0, 0), 0.0);
        assert_eq!(at(0, 2), 0.0);
        // Every band has some weight and none is negative.
        for m in 0..80 {
            let row = &f[m * 201..(m + 1) * 201];
            assert!(row.iter().all(|&v| v >= 0.0));
            assert!(row.iter().any(|&v| v > 0.0), "band {m} is empty");
        }
        // Slaney normalisation: each triangle has unit area in Hz (bins are
        // 40 Hz apart; a band only a few bins wide is sampled coarsely).
        for m in 20..80 {
            let area: f32 = f[m * 201..(m + 1) * 201].iter().sum::<f32>() * 40.0;
            assert!((area - 1.0).abs() < 0.1, "band {m} has area {area}");
        }
    }

    #[test]
    fn vocabulary_decodes_byte_level_tokens() {
        let v = vocabulary_bytes("!\nĠthe\nĊ\nÃ©\n<|endoftext|>\n<|startoftranscript|>\n").unwrap();
        assert_eq!(
            v,
            vec![
                b"!".to_vec(),
                b" the".to_vec(),
                b"\n".to_vec(),
                "é".as_bytes().to_vec()
            ]
        );
        assert!(vocabulary_bytes("a\nb\n").is_err());
    }

    fn var(name: &str, shape: &[u32], dtype: u8, data: &[u8], out: &mut Vec<u8>) {
        out.extend_from_slice(&(name.len() as u16 + 1).to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.push(shape.len() as u8);
        for d in shape {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.push(dtype);
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(data);
    }

    #[test]
    fn ct2_reader_dequantizes_int8_rows_and_resolves_aliases() {
        let mut b = Vec::new();
        b.extend_from_slice(&6u32.to_le_bytes());
        b.extend_from_slice(&12u16.to_le_bytes());
        b.extend_from_slice(b"WhisperSpec\0");
        b.extend_from_slice(&3u32.to_le_bytes());
        b.extend_from_slice(&2u32.to_le_bytes());
        var("w", &[2, 2], 1, &[10u8, 20, 0xF6, 40], &mut b);
        let scales: Vec<u8> = [10.0f32, 20.0]
            .iter()
            .flat_map(|s| s.to_le_bytes())
            .collect();
        var("w_scale", &[2], 0, &scales, &mut b);
        b.extend_from_slice(&1u32.to_le_bytes());
        for s in ["alias", "w"] {
            b.extend_from_slice(&(s.len() as u16 + 1).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
            b.push(0);
        }
        let (spec, vars) = read_ct2(&b).unwrap();
        assert_eq!(spec, "WhisperSpec");
        let m = Model { vars: &vars };
        assert_eq!(m.values("w").unwrap(), vec![1.0, 2.0, -0.5, 2.0]);
        assert_eq!(vars["alias"].shape, vec![2, 2]);
        // Truncated input is an error, not a panic.
        for cut in [0, 3, 10, 30, b.len() - 1] {
            assert!(read_ct2(&b[..cut]).is_err(), "cut at {cut}");
        }
    }
}
