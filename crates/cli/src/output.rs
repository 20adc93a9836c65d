//! Printing results: one JSON document with `--json`, otherwise plain
//! aligned text with dates and times in clinic-local time.

use crate::error::{CliError, Result};
use clinicdesk_domain::ClinicZone;
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
}

impl Printer {
    /// Prints `value` as JSON, or as the text `human` makes of it.
    pub fn show<T: Serialize + ?Sized>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> Result<()> {
        if self.json {
            let mut text = serde_json::to_string_pretty(value).map_err(|e| {
                CliError::failed(format!("could not write the result as JSON: {e}"))
            })?;
            text.push('\n');
            emit(&text)
        } else {
            emit(&human(value))
        }
    }
}

/// Writes to stdout at once. A reader that went away (`| head`) is not an error.
pub fn emit(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match written {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(CliError::failed(format!("could not write the output: {e}"))),
    }
}

/// Columns separated by two spaces, each as wide as its widest cell.
pub fn table<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths: [usize; N] = headers.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, cell) in cells.enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            l.push_str(cell);
            if i + 1 < N {
                l.extend(std::iter::repeat_n(
                    ' ',
                    widths[i].saturating_sub(cell.chars().count()),
                ));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

/// A table, or `empty` when there are no rows.
pub fn table_or<const N: usize>(headers: [&str; N], rows: &[[String; N]], empty: &str) -> String {
    if rows.is_empty() {
        format!("{empty}\n")
    } else {
        table(headers, rows)
    }
}

/// `label: value` lines with the values aligned; empty values are left out.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        out.push_str(&format!(
            "{k}:{}{v}\n",
            " ".repeat(width - k.chars().count() + 1)
        ));
    }
    out
}

/// A UTC instant as clinic-local `YYYY-MM-DD HH:MM`.
pub fn local(zone: ClinicZone, utc_seconds: i64) -> String {
    zone.to_local(utc_seconds)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// A UTC instant as clinic-local `HH:MM`.
pub fn hhmm(zone: ClinicZone, utc_seconds: i64) -> String {
    zone.to_local(utc_seconds).format("%H:%M").to_string()
}

/// An RFC 3339 time already in local time (as the store gives appointment
/// times) as `YYYY-MM-DD HH:MM`.
pub fn rfc3339_local(s: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|_| s.to_string())
}

pub fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// Plural-aware count: `count(1, "patient")` is "1 patient".
pub fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_trim() {
        let t = table(
            ["ID", "NAME"],
            &[["1".into(), "Ada".into()], ["22".into(), "".into()]],
        );
        assert_eq!(t, "ID  NAME\n1   Ada\n22\n");
    }

    #[test]
    fn fields_skip_empty_values() {
        let f = fields(&[
            ("name", "Ada".into()),
            ("phone", String::new()),
            ("date of birth", "1815-12-10".into()),
        ]);
        assert_eq!(f, "name:          Ada\ndate of birth: 1815-12-10\n");
    }

    #[test]
    fn local_times_keep_their_wall_clock() {
        assert_eq!(
            rfc3339_local("2026-03-09T14:30:00-04:00"),
            "2026-03-09 14:30"
        );
        let ny = ClinicZone::parse("America/New_York").unwrap();
        assert_eq!(local(ny, 1_773_081_000), "2026-03-09 14:30");
    }
}
