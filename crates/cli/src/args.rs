//! Parsers for command-line values, so a malformed date or time is a usage
//! error (exit 2) reported before anything is opened.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use clinicdesk_domain::local_time;
use clinicdesk_domain::validate::NoteFormat;
use clinicdesk_domain::Role;

/// Years a clinic date can have; far-off dates are typing mistakes, and
/// date arithmetic stays clear of chrono's limits.
const YEARS: std::ops::RangeInclusive<i32> = 1800..=9999;

pub fn date(s: &str) -> Result<NaiveDate, String> {
    let d = local_time::parse_date(s).map_err(|e| e.to_string())?;
    in_range(d)
}

fn in_range(d: NaiveDate) -> Result<NaiveDate, String> {
    if YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(format!(
            "{d} is out of range; use a year from {} to {}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

pub fn time(s: &str) -> Result<NaiveTime, String> {
    local_time::parse_time(s).map_err(|e| e.to_string())
}

/// `YYYY-MM-DDTHH:MM` (or with a space), clinic-local.
pub fn datetime(s: &str) -> Result<NaiveDateTime, String> {
    let t = local_time::parse_local_datetime(s).map_err(|e| e.to_string())?;
    in_range(t.date()).map(|_| t)
}

/// `mon` … `sun` (any longer spelling) or `1` … `7`.
pub fn weekday(s: &str) -> Result<u32, String> {
    clinicdesk_store::schedule::weekday_number(s).map_err(|e| e.to_string())
}

pub fn zone(s: &str) -> Result<clinicdesk_domain::ClinicZone, String> {
    clinicdesk_domain::ClinicZone::parse(s).map_err(|e| e.to_string())
}

pub fn role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn note_format(s: &str) -> Result<NoteFormat, String> {
    s.parse()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_or_explain() {
        assert_eq!(weekday("Tuesday").unwrap(), 2);
        assert!(weekday("someday").unwrap_err().contains("mon"));
        assert!(date("10/12/1815").unwrap_err().contains("YYYY-MM-DD"));
        assert!(datetime("2026-03-09T14:30").is_ok());
        assert!(time("25:00").is_err());
        assert!(date("0999-01-01").unwrap_err().contains("out of range"));
        assert!(datetime("0001-01-01T10:00").is_err());
        assert_eq!(role("front desk").unwrap(), Role::FrontDesk);
        assert_eq!(note_format("bullets").unwrap(), NoteFormat::Bullets);
    }
}
