//! Clinic-local wall time. Schedules are written in the clinic's time zone
//! and stored as UTC instants; the conversions here own every daylight-saving
//! decision so that no other code has to make one.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClinicZone(Tz);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    #[error("unknown time zone '{0}'; use an IANA name such as America/New_York")]
    UnknownZone(String),
    #[error("{time} on {date} does not exist in {zone}: the clocks move forward then")]
    Skipped {
        date: NaiveDate,
        time: NaiveTime,
        zone: String,
    },
    #[error("'{0}' is not a date and time; use YYYY-MM-DDTHH:MM, for example 2026-03-09T14:30")]
    BadDateTime(String),
    #[error("'{0}' is not a date; use YYYY-MM-DD, for example 2026-03-09")]
    BadDate(String),
    #[error("'{0}' is not a time of day; use HH:MM in 24-hour form, for example 14:30")]
    BadTime(String),
}

impl ClinicZone {
    pub fn new(tz: Tz) -> Self {
        ClinicZone(tz)
    }

    pub fn parse(name: &str) -> Result<Self, LocalTimeError> {
        name.trim()
            .parse::<Tz>()
            .map(ClinicZone)
            .map_err(|_| LocalTimeError::UnknownZone(name.to_string()))
    }

    /// The zone asked for (a blank answer counts as none), or this
    /// computer's when the clinic rules know it, else UTC: what a new
    /// clinic or a joining computer gets.
    pub fn asked_or_local(asked: Option<&str>) -> Result<Self, LocalTimeError> {
        match asked.map(str::trim) {
            Some(z) if !z.is_empty() => ClinicZone::parse(z),
            _ => Ok(iana_time_zone::get_timezone()
                .ok()
                .and_then(|name| ClinicZone::parse(&name).ok())
                .unwrap_or(ClinicZone(chrono_tz::UTC))),
        }
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn tz(&self) -> Tz {
        self.0
    }

    /// The UTC instant of a local wall time. In the autumn repeat the first
    /// occurrence is meant (a 01:30 appointment is the earlier 01:30); a time
    /// inside the spring gap does not exist and is refused.
    pub fn to_utc(
        &self,
        date: NaiveDate,
        time: NaiveTime,
    ) -> Result<DateTime<Utc>, LocalTimeError> {
        match self.0.from_local_datetime(&date.and_time(time)) {
            LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => Ok(first.with_timezone(&Utc)),
            LocalResult::None => Err(LocalTimeError::Skipped {
                date,
                time,
                zone: self.name().to_string(),
            }),
        }
    }

    pub fn to_local(&self, utc_seconds: i64) -> NaiveDateTime {
        self.0
            .from_utc_datetime(
                &DateTime::from_timestamp(utc_seconds, 0)
                    .unwrap_or_default()
                    .naive_utc(),
            )
            .naive_local()
    }

    pub fn local_date(&self, utc_seconds: i64) -> NaiveDate {
        self.to_local(utc_seconds).date()
    }

    /// Local date, time, and the offset in force, as RFC 3339 (for display and export).
    pub fn rfc3339(&self, utc_seconds: i64) -> String {
        let utc = DateTime::from_timestamp(utc_seconds, 0).unwrap_or_default();
        utc.with_timezone(&self.0)
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
    }

    /// Start of the local day as a UTC instant. Where midnight itself was
    /// skipped, the day starts at the first minute that exists.
    pub fn day_start(&self, date: NaiveDate) -> i64 {
        let mut t = NaiveTime::MIN;
        for _ in 0..(24 * 60) {
            if let Ok(u) = self.to_utc(date, t) {
                return u.timestamp();
            }
            t += Duration::minutes(1);
        }
        date.and_time(NaiveTime::MIN).and_utc().timestamp()
    }

    /// `[start, end)` of a local day in UTC seconds: 23 or 25 hours long on
    /// the days the clocks change.
    pub fn day_bounds(&self, date: NaiveDate) -> (i64, i64) {
        let next = date.succ_opt().unwrap_or(date);
        (self.day_start(date), self.day_start(next))
    }

    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.0).date_naive()
    }
}

impl fmt::Display for ClinicZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

pub fn parse_date(s: &str) -> Result<NaiveDate, LocalTimeError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| LocalTimeError::BadDate(s.to_string()))
}

pub fn parse_time(s: &str) -> Result<NaiveTime, LocalTimeError> {
    let s = s.trim();
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .map_err(|_| LocalTimeError::BadTime(s.to_string()))
}

/// `2026-03-09T14:30` or `2026-03-09 14:30` in clinic-local time.
pub fn parse_local_datetime(s: &str) -> Result<NaiveDateTime, LocalTimeError> {
    let t = s.trim();
    for fmt in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(v) = NaiveDateTime::parse_from_str(t, fmt) {
            return Ok(v);
        }
    }
    Err(LocalTimeError::BadDateTime(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ny() -> ClinicZone {
        ClinicZone::parse("America/New_York").unwrap()
    }

    #[test]
    fn the_zone_asked_for_or_this_computers() {
        let asked = ClinicZone::asked_or_local(Some(" Europe/Paris ")).unwrap();
        assert_eq!(asked.name(), "Europe/Paris");
        let local = ClinicZone::asked_or_local(None).unwrap();
        assert_eq!(ClinicZone::asked_or_local(Some("  ")).unwrap(), local);
        let e = ClinicZone::asked_or_local(Some("Mars/Olympus")).unwrap_err();
        assert!(e.to_string().contains("Mars/Olympus"), "{e}");
    }

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn spring_forward_day_is_23_hours_and_the_gap_is_refused() {
        let (a, b) = ny().day_bounds(d("2026-03-08"));
        assert_eq!(b - a, 23 * 3600);
        let err = ny()
            .to_utc(d("2026-03-08"), parse_time("02:30").unwrap())
            .unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn fall_back_day_is_25_hours_and_the_repeat_means_the_first() {
        let (a, b) = ny().day_bounds(d("2026-11-01"));
        assert_eq!(b - a, 25 * 3600);
        let t = ny()
            .to_utc(d("2026-11-01"), parse_time("01:30").unwrap())
            .unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-01T05:30:00+00:00");
    }

    #[test]
    fn nine_am_stays_nine_am_across_the_change() {
        let before = ny()
            .to_utc(d("2026-03-06"), parse_time("09:00").unwrap())
            .unwrap();
        let after = ny()
            .to_utc(d("2026-03-09"), parse_time("09:00").unwrap())
            .unwrap();
        assert_eq!(
            ny().to_local(before.timestamp()).time(),
            parse_time("09:00").unwrap()
        );
        assert_eq!(
            ny().to_local(after.timestamp()).time(),
            parse_time("09:00").unwrap()
        );
        assert_eq!(after.timestamp() - before.timestamp(), 3 * 86400 - 3600);
    }

    #[test]
    fn unknown_zone_and_bad_input_are_named() {
        assert!(ClinicZone::parse("Mars/Olympus")
            .unwrap_err()
            .to_string()
            .contains("Mars/Olympus"));
        assert!(parse_local_datetime("tomorrow").is_err());
        assert!(parse_local_datetime("2026-03-09 14:30").is_ok());
    }
}
