//! An independent check of what the writers make: pyx12's validator
//! (x12valid) on a generated 837P and 999, and on the committed samples it
//! has maps for. pyx12 comes from the venv scripts/fetch-test-data.sh
//! makes; CLINICDESK_X12_VALIDATOR overrides the command.

mod common;

use clinicdesk_x12::transactions::ack;
use clinicdesk_x12::{model, parse, read, to_x12, Delimiters, Model};
use std::path::{Path, PathBuf};
use std::process::Command;

fn validator() -> Option<Vec<String>> {
    let cmd = std::env::var("CLINICDESK_X12_VALIDATOR").unwrap_or_else(|_| {
        let home = std::env::var("HOME").unwrap_or_default();
        format!("{home}/.cache/clinicdesk/venv/bin/python -m pyx12.scripts.x12valid")
    });
    let parts: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
    if parts.first().is_some_and(|p| Path::new(p).is_file()) {
        return Some(parts);
    }
    let msg = format!("the X12 validator '{cmd}' is not installed; run scripts/fetch-test-data.sh (or set CLINICDESK_X12_VALIDATOR)");
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    println!("skipped: {msg}");
    None
}

struct Verdict {
    ok: bool,
    log: String,
    /// The 999 pyx12 wrote for the file.
    ack: Option<String>,
}

/// Runs x12valid on `text` in a directory of its own (it writes its 999
/// next to the input). Its exit code says nothing about validity; its
/// "FILE: OK" line and the absence of errors about a line of the file do.
/// (Other ERROR lines are pyx12's own trouble: it cannot make a 999 for an
/// 835, whose guide leaves out the ST03 its 999 writer wants.)
fn validate(cmd: &[String], name: &str, text: &str) -> Verdict {
    let dir = tempfile::tempdir().expect("temp dir");
    let file: PathBuf = dir.path().join(name);
    std::fs::write(&file, text).expect("write");
    let out = Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg(&file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ok = log.contains(&format!("{}: OK", file.display())) && !log.contains(" ERROR Line:");
    let ack = std::fs::read_to_string(format!("{}.997", file.display())).ok();
    Verdict { ok, log, ack }
}

#[test]
fn pyx12_accepts_a_generated_837p_and_its_999_says_accepted() {
    let Some(cmd) = validator() else { return };
    let x12 = common::batch(4).to_x12(&common::header()).expect("837P");
    let v = validate(&cmd, "claims.x12", &x12);
    assert!(v.ok, "pyx12 rejected the 837P:\n{}\n{x12}", v.log);
    // pyx12's own acknowledgment, read by this crate, accepts it too.
    let ack_text = v.ack.expect("pyx12 writes a 999");
    let doc = parse(ack_text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}\n{ack_text}"));
    let Some(Ok(Model::Acknowledgment(a))) = doc.transactions().next().and_then(model) else {
        panic!("not a 999: {ack_text}")
    };
    assert_eq!(
        (a.functional_id.as_str(), a.status.as_str()),
        ("HC", "A"),
        "{ack_text}"
    );
    assert_eq!(a.transactions[0].transaction_id, "837");
}

#[test]
fn pyx12_rejects_an_837p_without_service_dates() {
    let Some(cmd) = validator() else { return };
    // The check can fail: drop every DTP*472 (and fix SE01 so only the
    // guide, not the envelope, is broken).
    let x12 = common::batch(1).to_x12(&common::header()).expect("837P");
    let dropped = x12.matches("DTP*472*").count();
    let mut broken: String = x12
        .split_inclusive('~')
        .filter(|s| !s.starts_with("DTP*472*"))
        .collect();
    let se = broken.find("~SE*").expect("SE") + 1;
    let count: usize = broken[se + 3..].split('*').next().unwrap().parse().unwrap();
    broken = broken.replacen(
        &format!("~SE*{count}*"),
        &format!("~SE*{}*", count - dropped),
        1,
    );
    assert!(read(broken.as_bytes()).errors.is_empty());
    let v = validate(&cmd, "broken.x12", &broken);
    assert!(!v.ok, "pyx12 accepted an 837P without DTP*472:\n{}", v.log);
    assert!(v.log.contains("DTP"), "{}", v.log);
}

#[test]
fn pyx12_accepts_a_generated_999() {
    let Some(cmd) = validator() else { return };
    let claims = common::batch(2).to_x12(&common::header()).expect("837P");
    let p = read(claims.as_bytes());
    let body = ack::acknowledge(&p.document.interchanges[0].groups[0], &p.errors);
    let mut h = common::header();
    h.interchange_control = 18;
    let segs = h.wrap("FA", "999", ack::VERSION, vec![body]).expect("wrap");
    let x12 = to_x12(&segs, Delimiters::default(), true).expect("999");
    let v = validate(&cmd, "ack.x12", &x12);
    assert!(v.ok, "pyx12 rejected the 999:\n{}\n{x12}", v.log);
}

#[test]
fn pyx12_accepts_the_committed_samples_it_has_maps_for() {
    let Some(cmd) = validator() else { return };
    // pyx12 4.0 has no 005010X279A1 (270/271) or 276 maps.
    for name in [
        "835-remittance.x12",
        "999-partial.x12",
        "277ca-acknowledgment.x12",
    ] {
        let text = String::from_utf8(common::sample(name)).expect("text");
        let v = validate(&cmd, name, &text);
        assert!(v.ok, "pyx12 rejected {name}:\n{}", v.log);
    }
}
