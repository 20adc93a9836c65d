//! `clinicdesk-cli x12 parse` and `x12 validate` on sample files: no data
//! directory, no keychain, no login.

mod common;

use common::{cli, text};

use serde_json::Value;
use std::path::PathBuf;

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../x12/tests/data")
        .join(name)
}

/// A copy of a sample with `from` replaced by `to`, in a temporary file.
fn altered(name: &str, from: &str, to: &str) -> tempfile::NamedTempFile {
    let orig = std::fs::read_to_string(sample(name)).expect("sample");
    assert!(orig.contains(from), "{from} not in {name}");
    let f = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(f.path(), orig.replacen(from, to, 1)).expect("write");
    f
}

#[test]
fn parse_prints_transaction_sets_segment_counts_and_the_model_as_json() {
    let f = sample("835-remittance.x12");
    let out = cli(&["x12", "parse", f.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let i = &v["interchanges"][0];
    assert_eq!(i["control_number"], "000000103");
    assert_eq!(i["delimiters"]["element"], "*");
    assert_eq!(i["segment_count"], 42);
    let t = &i["groups"][0]["transactions"][0];
    assert_eq!(t["id"], "835");
    assert_eq!(t["version"], "005010X221A1");
    assert_eq!(t["segment_count"], 38);
    assert_eq!(t["segments_by_tag"]["CLP"], 3);
    assert_eq!(t["model"]["model"], "remittance");
    assert_eq!(t["model"]["payment"]["amount"], "125.5");
    assert_eq!(
        t["model"]["claims"][0]["patient_control_number"],
        "CLM-1001"
    );
    assert_eq!(v["errors"], Value::Array(vec![]));
}

#[test]
fn parse_without_json_lists_the_transaction_sets() {
    let f = sample("271-benefits.x12");
    let out = cli(&["x12", "parse", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(
        s.contains("interchange 000000101 from ACMEHEALTH to CLINICDESK"),
        "{s}"
    );
    assert!(
        s.contains("271 0001 005010X279A1: 36 segments, eligibility"),
        "{s}"
    );
}

#[test]
fn validate_accepts_a_valid_file() {
    for name in [
        "271-benefits.x12",
        "277ca-acknowledgment.x12",
        "999-partial.x12",
    ] {
        let f = sample(name);
        let out = cli(&["x12", "validate", f.to_str().unwrap()]);
        assert!(out.status.success(), "{name}: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(": valid, 1 transaction sets"),
            "{}",
            text(&out.stdout)
        );
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn validate_lists_every_problem_on_stderr_one_per_line() {
    // A wrong SE01 count and a CLP whose paid amount is not a number.
    let f = altered("835-remittance.x12", "SE*38*0001", "SE*37*0001");
    let orig = std::fs::read_to_string(f.path()).unwrap();
    std::fs::write(
        f.path(),
        orig.replace("CLP*CLM-1002*4*80*0*", "CLP*CLM-1002*4*80*NIL*"),
    )
    .unwrap();
    let out = cli(&["x12", "validate", f.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].starts_with("error: segment 40 (SE) at byte "),
        "{err}"
    );
    assert!(
        lines[0].ends_with("SE01 says 37 segments, but there are 38"),
        "{err}"
    );
    assert!(
        lines[1].starts_with("error: segment 34 (CLP) at byte "),
        "{err}"
    );
    assert!(lines[1].contains("CLP04 \"NIL\" is not an amount"), "{err}");
    assert!(lines[2].ends_with("has 2 problems"), "{err}");

    // parse still shows what it could read, and fails too.
    let out = cli(&["x12", "parse", f.path().to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["errors"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["errors"][0]["kind"], "count");
    assert_eq!(v["errors"][0]["at"]["tag"], "SE");
}

#[test]
fn validate_refuses_what_is_not_x12() {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), b"<html>not x12</html>").unwrap();
    let out = cli(&["x12", "validate", f.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.starts_with("error: at byte 0: an interchange must start with an ISA segment"),
        "{err}"
    );

    let out = cli(&["x12", "validate", "/nonexistent/file.x12"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("could not read /nonexistent/file.x12"));
}
