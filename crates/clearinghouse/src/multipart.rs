//! `multipart/form-data` (RFC 7578) for the CORE envelope: text fields only,
//! one part per field. Both ends use it, so malformed bodies from a peer
//! become a [`MultipartError`], never a panic.

use std::fmt::Write as _;

/// Bodies larger than this are refused: a real-time 271 is a few kilobytes.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultipartError {
    #[error("the content type is {0:?}, not multipart/form-data")]
    NotMultipart(String),
    #[error("the content type names no boundary")]
    NoBoundary,
    #[error("the body does not start with the multipart boundary")]
    NoFirstBoundary,
    #[error("the body ends before the closing boundary")]
    Unterminated,
    #[error("part {0} has no headers")]
    NoHeaders(usize),
    #[error("part {0} has no form-data name")]
    NoName(usize),
    #[error("the body is larger than {MAX_BODY} bytes")]
    TooLarge,
}

/// A field: its name and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: Vec<u8>,
}

/// A boundary that cannot occur in an X12 payload or a field value we write:
/// a UUID's hex digits behind a prefix.
pub fn new_boundary() -> String {
    format!("----CORE{}", uuid::Uuid::new_v4().simple())
}

pub fn content_type(boundary: &str) -> String {
    format!("multipart/form-data; boundary={boundary}")
}

/// Encodes fields as a multipart/form-data body.
pub fn encode(fields: &[(&str, &str)], boundary: &str) -> Vec<u8> {
    let mut out = String::new();
    for (name, value) in fields {
        let _ = write!(
            out,
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        );
    }
    let _ = write!(out, "--{boundary}--\r\n");
    out.into_bytes()
}

/// The boundary parameter of a `multipart/form-data` (or `multipart/mixed`) content type.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let mime = params
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if !mime.starts_with("multipart/") {
        return Err(MultipartError::NotMultipart(content_type.to_string()));
    }
    params
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty() && b.len() <= 70)
        .ok_or(MultipartError::NoBoundary)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The `name` parameter of a part's Content-Disposition header.
fn field_name(headers: &str) -> Option<String> {
    headers.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        if !k.trim().eq_ignore_ascii_case("content-disposition") {
            return None;
        }
        v.split(';').find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("name")
                .then(|| v.trim().trim_matches('"').to_string())
        })
    })
}

/// Decodes a multipart body into its fields, in order.
pub fn decode(body: &[u8], boundary: &str) -> Result<Vec<Field>, MultipartError> {
    if body.len() > MAX_BODY {
        return Err(MultipartError::TooLarge);
    }
    let first = format!("--{boundary}");
    let delim = format!("\r\n--{boundary}");
    // A preamble before the first boundary is allowed and ignored.
    let mut pos = if body.starts_with(first.as_bytes()) {
        first.len()
    } else {
        find(body, delim.as_bytes(), 0).ok_or(MultipartError::NoFirstBoundary)? + delim.len()
    };
    let mut fields = Vec::new();
    loop {
        let rest = body.get(pos..).unwrap_or_default();
        if rest.starts_with(b"--") {
            return Ok(fields);
        }
        // Transport padding after a boundary, then the line break.
        let line_end = find(body, b"\r\n", pos).ok_or(MultipartError::Unterminated)?;
        let n = fields.len() + 1;
        let head_start = line_end + 2;
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or(MultipartError::NoHeaders(n))?;
        let next = find(body, delim.as_bytes(), head_start).ok_or(MultipartError::Unterminated)?;
        if head_end > next {
            return Err(MultipartError::NoHeaders(n));
        }
        let headers = String::from_utf8_lossy(body.get(head_start..head_end).unwrap_or_default());
        let name = field_name(&headers).ok_or(MultipartError::NoName(n))?;
        let value = body.get(head_end + 4..next).unwrap_or_default().to_vec();
        fields.push(Field { name, value });
        pos = next + delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let b = new_boundary();
        let body = encode(
            &[("PayloadType", "X12_270"), ("Payload", "ISA*00~\r\nGS~")],
            &b,
        );
        let f = decode(&body, &b).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "PayloadType");
        assert_eq!(f[1].value, b"ISA*00~\r\nGS~");
    }

    #[test]
    fn boundary_from_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\"").unwrap(),
            "abc"
        );
        assert_eq!(
            boundary("text/plain"),
            Err(MultipartError::NotMultipart("text/plain".into()))
        );
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::NoBoundary)
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert_eq!(decode(b"hello", "x"), Err(MultipartError::NoFirstBoundary));
        assert_eq!(
            decode(
                b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv",
                "x"
            ),
            Err(MultipartError::Unterminated)
        );
        assert_eq!(
            decode(b"--x\r\nContent-Type: text/plain\r\n\r\nv\r\n--x--", "x"),
            Err(MultipartError::NoName(1))
        );
        for cut in 0..40 {
            let body = encode(&[("A", "1"), ("B", "2")], "x");
            let _ = decode(&body[..cut.min(body.len())], "x");
        }
    }
}
