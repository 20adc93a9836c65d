//! Third-party X12: the interchanges of linuxforhealth-x12's test suite,
//! fetched by scripts/fetch-test-data.sh. Each one reads, its typed model
//! builds, and writing it out (with its own delimiters and with others)
//! gives the same segments back. The one that is not valid as shipped must
//! give exactly the error expected.

use clinicdesk_x12::{
    model, read, write_document, Delimiters, Document, ErrorKind, Values, WriteOptions,
};
use std::path::PathBuf;

/// Each sample and the errors reading it must give (empty when valid).
const EXPECTED: [(&str, &[&str]); 4] = [
    ("simple_270_with_new_lines.x12", &[]),
    ("simple_270_one_line.x12", &[]),
    ("x12_with_custom_delimiters.x12", &[]),
    // Ten transaction sets in a group whose GE01 says one: the fixture
    // repeats a transaction set without updating the trailer.
    (
        "large_x12_message.x12",
        &["segment 173 (GE) at byte 3961: GE01 says 1 transaction sets, but there are 10"],
    ),
];

fn samples_dir() -> Option<PathBuf> {
    let base = std::env::var_os("CLINICDESK_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/fetched")
        });
    let dir = base.join("x12-samples");
    if dir.join(".package").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "the X12 samples are missing from {}; run scripts/fetch-test-data.sh",
        dir.display()
    );
    assert!(std::env::var_os("CI").is_none(), "{msg}");
    println!("skipped: {msg}");
    None
}

fn values(doc: &Document<'_>, skip_isa: bool) -> Vec<Values> {
    doc.segments()
        .filter(|s| !(skip_isa && s.tag == "ISA"))
        .map(|s| s.values())
        .collect()
}

#[test]
fn every_fetched_sample_reads_models_and_round_trips() {
    let Some(dir) = samples_dir() else { return };
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("samples dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".x12"))
        .collect();
    files.sort();
    let mut known: Vec<&str> = EXPECTED.iter().map(|(f, _)| *f).collect();
    known.sort();
    assert_eq!(
        files, known,
        "a sample was added or lost: say what each must give"
    );

    let mut transactions = 0;
    for (file, expected) in EXPECTED {
        let bytes = std::fs::read(dir.join(file)).expect("read sample");
        let parsed = read(&bytes);
        let errors: Vec<String> = parsed.errors.iter().map(ToString::to_string).collect();
        assert_eq!(errors, expected.to_vec(), "{file}");
        for e in &parsed.errors {
            assert_eq!(e.kind, ErrorKind::Count, "{file}: {e}");
            let at = e.at.as_ref().expect("located");
            assert!(bytes[at.offset..].starts_with(b"GE*"), "{file}: {e}");
        }
        let doc = parsed.document;
        assert_eq!(doc.interchanges.len(), 1, "{file}");

        for tx in doc.transactions() {
            transactions += 1;
            assert_eq!(tx.id(), "270", "{file}");
            let m = model(tx)
                .unwrap_or_else(|| panic!("{file}: {} {} is not modelled", tx.id(), tx.version))
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            let clinicdesk_x12::Model::Eligibility(e) = m else {
                panic!("{file}: not an eligibility model")
            };
            let member = e.members().next().expect("a subscriber");
            assert_eq!(member.party.id.as_deref(), Some("00000000001"), "{file}");
            assert_eq!(member.birth_date.as_deref(), Some("19700101"), "{file}");
            assert_eq!(member.traces[0].number, "930000000000", "{file}");
            assert!(!member.inquiries[0].service_types.is_empty(), "{file}");
            assert_eq!(
                e.sources[0].receivers[0].party.id.as_deref(),
                Some("1467857193")
            );
        }

        // Written with its own delimiters: the same segments.
        let same = write_document(&doc, WriteOptions::default()).expect("write");
        let again = read(same.as_bytes());
        assert_eq!(again.errors.len(), expected.len(), "{file}");
        assert_eq!(
            values(&again.document, false),
            values(&doc, false),
            "{file}"
        );

        // With other delimiters: the same values (ISA11/ISA16 name the new ones).
        let other = Delimiters {
            element: b'|',
            repetition: Some(b'!'),
            component: b'>',
            segment: b'\n',
        };
        let out = write_document(
            &doc,
            WriteOptions {
                delimiters: Some(other),
                line_breaks: false,
            },
        )
        .expect("write with other delimiters");
        let back = read(out.as_bytes());
        assert_eq!(back.document.interchanges[0].delimiters, other, "{file}");
        assert_eq!(values(&back.document, true), values(&doc, true), "{file}");
    }
    assert_eq!(transactions, 13, "1 + 1 + 1 + 10 transaction sets");
}

#[test]
fn the_custom_delimiter_sample_uses_its_own_delimiters() {
    let Some(dir) = samples_dir() else { return };
    let bytes = std::fs::read(dir.join("x12_with_custom_delimiters.x12")).expect("read");
    let doc = clinicdesk_x12::parse(&bytes).expect("valid");
    assert_eq!(
        doc.interchanges[0].delimiters,
        Delimiters {
            element: b'|',
            repetition: Some(b'^'),
            component: b':',
            segment: b'?'
        }
    );
}
