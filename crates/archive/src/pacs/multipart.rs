//! `multipart/related` bodies (RFC 2387) as WADO-RS sends instances: read
//! incrementally, so each part is handed on as soon as it has arrived.

/// The boundary of a `multipart/related` Content-Type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut params = content_type.split(';');
    let media = params.next()?.trim();
    if !media.eq_ignore_ascii_case("multipart/related") {
        return None;
    }
    params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 200)
    })
}

/// One part: its Content-Type (if any) and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

/// Splits a multipart body fed in chunks. Memory holds at most the part
/// being received (plus one chunk).
pub struct Splitter {
    /// `\r\n--boundary`: what ends a part.
    delimiter: Vec<u8>,
    buf: Vec<u8>,
    /// How far into `buf` the current part's body was already searched for
    /// the delimiter, so a large part is not rescanned for every chunk.
    searched: usize,
    started: bool,
    finished: bool,
}

/// Where to look for `needle` in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Splitter {
    pub fn new(boundary: &str) -> Splitter {
        Splitter {
            delimiter: format!("\r\n--{boundary}").into_bytes(),
            buf: Vec::new(),
            searched: 0,
            started: false,
            finished: false,
        }
    }

    /// Whether the closing delimiter (`--boundary--`) was seen.
    pub fn finished(&self) -> bool {
        self.finished
    }

    /// Adds received bytes and returns the parts they completed.
    pub fn push(&mut self, chunk: &[u8]) -> Result<Vec<Part>, String> {
        self.buf.extend_from_slice(chunk);
        let mut parts = Vec::new();
        loop {
            if self.finished {
                return Ok(parts);
            }
            if !self.started {
                // The first delimiter may open the body without a CRLF.
                let first = &self.delimiter[2..];
                let at = if self.buf.starts_with(first) {
                    Some(0)
                } else {
                    find(&self.buf, &self.delimiter).map(|i| i + 2)
                };
                let Some(at) = at else {
                    return Ok(parts);
                };
                self.buf.drain(..at + first.len());
                self.started = true;
            }
            // After a delimiter: "--" closes, else the rest of the line, then headers.
            if self.buf.len() < 2 {
                return Ok(parts);
            }
            if self.buf.starts_with(b"--") {
                self.finished = true;
                self.buf.clear();
                return Ok(parts);
            }
            let Some(line_end) = find(&self.buf, b"\r\n") else {
                return Ok(parts);
            };
            let Some(headers_end) = find(&self.buf[line_end..], b"\r\n\r\n").map(|i| i + line_end)
            else {
                if self.buf.len() > 64 * 1024 {
                    return Err("a part's headers are longer than 64 KiB".into());
                }
                return Ok(parts);
            };
            let body_start = headers_end + 4;
            let from = self.searched.max(body_start);
            let Some(body_len) =
                find(&self.buf[from..], &self.delimiter).map(|i| i + from - body_start)
            else {
                self.searched = self.buf.len().saturating_sub(self.delimiter.len());
                return Ok(parts);
            };
            self.searched = 0;
            let headers = String::from_utf8_lossy(&self.buf[line_end + 2..headers_end]).to_string();
            let body = self.buf[body_start..body_start + body_len].to_vec();
            self.buf
                .drain(..body_start + body_len + self.delimiter.len());
            parts.push(Part {
                content_type: content_type(&headers),
                body,
            });
        }
    }
}

fn content_type(headers: &str) -> Option<String> {
    headers.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case("content-type")
            .then(|| v.trim().to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(b"--XyZ\r\nContent-Type: application/dicom\r\n\r\n");
        b.extend_from_slice(b"first\r\n--not-it\r\n");
        b.extend_from_slice(
            b"\r\n--XyZ\r\nContent-Type: application/dicom\r\nContent-Length: 6\r\n\r\n",
        );
        b.extend_from_slice(b"second");
        b.extend_from_slice(b"\r\n--XyZ--\r\n");
        b
    }

    #[test]
    fn boundaries_come_from_the_content_type() {
        assert_eq!(
            boundary(r#"multipart/related; type="application/dicom"; boundary="XyZ""#).as_deref(),
            Some("XyZ")
        );
        assert_eq!(
            boundary("multipart/related;boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary("application/dicom; boundary=abc"), None);
    }

    #[test]
    fn parts_split_the_same_whatever_the_chunk_size() {
        let whole = body();
        for chunk in [1, 2, 3, 7, 64, whole.len()] {
            let mut s = Splitter::new("XyZ");
            let mut parts = Vec::new();
            for c in whole.chunks(chunk) {
                parts.extend(s.push(c).unwrap());
            }
            assert!(s.finished(), "chunk {chunk}");
            assert_eq!(parts.len(), 2, "chunk {chunk}");
            assert_eq!(parts[0].body, b"first\r\n--not-it\r\n");
            assert_eq!(parts[1].body, b"second");
            assert_eq!(parts[1].content_type.as_deref(), Some("application/dicom"));
        }
    }

    #[test]
    fn a_cut_off_body_is_not_finished() {
        let whole = body();
        let mut s = Splitter::new("XyZ");
        let parts = s.push(&whole[..whole.len() - 20]).unwrap();
        assert_eq!(parts.len(), 1);
        assert!(!s.finished());
    }
}
