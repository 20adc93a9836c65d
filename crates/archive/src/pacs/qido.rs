//! QIDO-RS study search: the query's parameters and the DICOM JSON answer
//! (PS3.18 F.2) read into rows.

use serde::Serialize;
use serde_json::Value;

/// What to search for; empty fields are not sent.
#[derive(Debug, Clone, Default)]
pub struct StudyQuery {
    pub patient_id: Option<String>,
    /// DICOM matching: `*` and `?` wildcards, e.g. `LOVELACE*`.
    pub patient_name: Option<String>,
    /// `YYYYMMDD`, or a range `YYYYMMDD-YYYYMMDD` (either end open).
    pub study_date: Option<String>,
    pub modality: Option<String>,
    pub limit: Option<u32>,
}

impl StudyQuery {
    /// The query parameters, checked: dates must be dates, and nothing may
    /// hold characters a DICOM query cannot mean.
    pub fn params(&self) -> Result<Vec<(&'static str, String)>, String> {
        let mut out = Vec::new();
        let mut add = |key: &'static str, v: &Option<String>| -> Result<(), String> {
            if let Some(v) = v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                if v.len() > 64 || v.chars().any(|c| c.is_control() || c == '\\') {
                    return Err(format!("the search value {v:?} is not valid"));
                }
                out.push((key, v.to_string()));
            }
            Ok(())
        };
        add("PatientID", &self.patient_id)?;
        add("PatientName", &self.patient_name)?;
        if let Some(d) = self
            .study_date
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let ok_date =
                |s: &str| s.is_empty() || chrono::NaiveDate::parse_from_str(s, "%Y%m%d").is_ok();
            let (a, b) = d.split_once('-').unwrap_or((d, d));
            if !ok_date(a) || !ok_date(b) || (a.is_empty() && b.is_empty()) {
                return Err(format!(
                    "the study date {d:?} should be YYYYMMDD or a range YYYYMMDD-YYYYMMDD"
                ));
            }
            add("StudyDate", &Some(d.to_string()))?;
        }
        add(
            "ModalitiesInStudy",
            &self.modality.as_ref().map(|m| m.to_ascii_uppercase()),
        )?;
        out.push((
            "limit",
            self.limit.unwrap_or(100).clamp(1, 1000).to_string(),
        ));
        // Ask for the attributes the list shows beyond the required ones.
        for f in [
            "PatientBirthDate",
            "StudyDescription",
            "ModalitiesInStudy",
            "NumberOfStudyRelatedInstances",
        ] {
            out.push(("includefield", f.to_string()));
        }
        Ok(out)
    }

    /// The terms in words, for the audit trail.
    pub fn describe(&self) -> String {
        let mut terms = Vec::new();
        for (what, v) in [
            ("patient ID", &self.patient_id),
            ("name", &self.patient_name),
            ("date", &self.study_date),
            ("modality", &self.modality),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.trim().is_empty()) {
                terms.push(format!("{what} {}", v.trim()));
            }
        }
        if terms.is_empty() {
            "all studies".into()
        } else {
            terms.join(", ")
        }
    }
}

/// One study the PACS holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StudyMatch {
    pub study_uid: String,
    pub patient_id: Option<String>,
    pub patient_name: Option<String>,
    pub birth_date: Option<String>,
    pub study_date: Option<String>,
    pub accession_number: Option<String>,
    pub description: Option<String>,
    pub modalities: Vec<String>,
    pub instances: Option<u64>,
}

/// The values of one attribute of a DICOM JSON object.
fn values<'a>(obj: &'a Value, tag: &str) -> impl Iterator<Item = &'a Value> {
    obj.get(tag)
        .and_then(|a| a.get("Value"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

fn string(obj: &Value, tag: &str) -> Option<String> {
    let v = values(obj, tag).next()?;
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        // Person names: {"Alphabetic": "Family^Given"}.
        Value::Object(o) => o.get("Alphabetic")?.as_str()?.to_string(),
        _ => return None,
    };
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// A DA value as `YYYY-MM-DD`, left as sent when it is not a plain date.
fn date(obj: &Value, tag: &str) -> Option<String> {
    let d = string(obj, tag)?;
    Some(
        chrono::NaiveDate::parse_from_str(&d, "%Y%m%d")
            .map(|x| x.format("%Y-%m-%d").to_string())
            .unwrap_or(d),
    )
}

/// Reads a QIDO-RS answer: a JSON array of study objects.
pub fn parse_studies(body: &[u8]) -> Result<Vec<StudyMatch>, String> {
    let rows = json_rows(body, "the search")?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let Some(study_uid) = string(row, "0020000D") else {
            // A study without its UID cannot be retrieved; leave it out.
            continue;
        };
        out.push(StudyMatch {
            study_uid,
            patient_id: string(row, "00100020"),
            patient_name: string(row, "00100010"),
            birth_date: date(row, "00100030"),
            study_date: date(row, "00080020"),
            accession_number: string(row, "00080050"),
            description: string(row, "00081030"),
            modalities: values(row, "00080061")
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            instances: string(row, "00201208").and_then(|n| n.parse().ok()),
        });
    }
    Ok(out)
}

/// Reads a QIDO-RS series answer: the Series Instance UIDs, in the order sent.
pub fn parse_series_uids(body: &[u8]) -> Result<Vec<String>, String> {
    let rows = json_rows(body, "the list of the study's series")?;
    Ok(rows
        .iter()
        .filter_map(|row| string(row, "0020000E"))
        .collect())
}

/// The objects of a QIDO-RS answer (a JSON array; an empty body is none).
fn json_rows(body: &[u8], what: &str) -> Result<Vec<Value>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let json: Value = serde_json::from_slice(body).map_err(|e| {
        format!("the PACS answered {what} with something that is not DICOM JSON ({e})")
    })?;
    match json {
        Value::Array(rows) => Ok(rows),
        _ => Err(format!(
            "the PACS answered {what} with JSON that is not a list"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dicom_json_studies_are_read() {
        let body = br#"[{"0020000D":{"vr":"UI","Value":["1.2.3"]},
            "00100010":{"vr":"PN","Value":[{"Alphabetic":"Lovelace^Ada"}]},
            "00100020":{"vr":"LO","Value":["MRN1"]},
            "00080020":{"vr":"DA","Value":["20240131"]},
            "00080061":{"vr":"CS","Value":["CT","SR"]},
            "00201208":{"vr":"IS","Value":[12]}},
            {"00100020":{"vr":"LO","Value":["no uid"]}}]"#;
        let rows = parse_studies(body).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.study_uid, "1.2.3");
        assert_eq!(r.patient_name.as_deref(), Some("Lovelace^Ada"));
        assert_eq!(r.study_date.as_deref(), Some("2024-01-31"));
        assert_eq!(r.modalities, ["CT", "SR"]);
        assert_eq!(r.instances, Some(12));
        assert!(parse_studies(b"").unwrap().is_empty());
        assert!(parse_studies(b"<html>").is_err());
    }

    #[test]
    fn a_study_s_series_are_listed_in_order() {
        let body = br#"[{"0020000E":{"vr":"UI","Value":["1.2.3.1"]}},
            {"00080060":{"vr":"CS","Value":["CT"]}},
            {"0020000E":{"vr":"UI","Value":["1.2.3.2"]}}]"#;
        assert_eq!(parse_series_uids(body).unwrap(), ["1.2.3.1", "1.2.3.2"]);
        assert!(parse_series_uids(b" ").unwrap().is_empty());
        let e = parse_series_uids(br#"{"0020000E":{}}"#).unwrap_err();
        assert!(e.contains("not a list"), "{e}");
    }

    #[test]
    fn queries_are_checked() {
        let q = StudyQuery {
            patient_name: Some("LOVE*".into()),
            study_date: Some("20240101-".into()),
            ..Default::default()
        };
        let p = q.params().unwrap();
        assert!(p.contains(&("PatientName", "LOVE*".into())));
        assert!(p.contains(&("StudyDate", "20240101-".into())));
        let bad = StudyQuery {
            study_date: Some("2024-01-01".into()),
            ..Default::default()
        };
        assert!(bad.params().unwrap_err().contains("YYYYMMDD"));
    }
}
