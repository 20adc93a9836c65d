//! The reader, the envelope checks and the writer on small interchanges.

mod common;

use clinicdesk_x12::{
    parse, read, to_x12, write_document, Delimiters, ErrorKind, Values, WriteOptions,
};
use common::header;

const ISA: &str = "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240105*1230*^*00501*000000042*0*T*:~";

fn interchange(body: &[&str]) -> String {
    let mut s = String::from(ISA);
    s.push_str("GS*HS*SUBMITTER*RECEIVER*20240105*1230*7*X*005010X279A1~");
    s.push_str("ST*270*0001*005010X279A1~");
    for b in body {
        s.push_str(b);
        s.push('~');
    }
    s.push_str(&format!("SE*{}*0001~", body.len() + 2));
    s.push_str("GE*1*7~IEA*1*000000042~");
    s
}

const BODY: [&str; 3] = [
    "BHT*0022*13*10001234*20240105*1230",
    "HL*1**20*1",
    "NM1*PR*2*ACME HEALTH*****PI*12345",
];

#[test]
fn a_valid_interchange_reads_with_positions_and_offsets() {
    let x = interchange(&BODY);
    let doc = parse(x.as_bytes()).expect("valid");
    assert_eq!(doc.interchanges.len(), 1);
    let i = &doc.interchanges[0];
    assert_eq!(i.delimiters, Delimiters::default());
    assert_eq!(i.segment_count, 9);
    let tx = doc.transactions().next().expect("one transaction");
    assert_eq!(tx.id(), "270");
    assert_eq!(tx.version, "005010X279A1");
    assert_eq!(tx.segment_count(), 5);
    let nm1 = &tx.body[2];
    assert_eq!(nm1.tag, "NM1");
    assert_eq!(nm1.position, 6);
    assert_eq!(&x[nm1.offset..nm1.offset + 4], "NM1*");
    assert_eq!(nm1.el(3), "ACME HEALTH");
    assert_eq!(nm1.el(9), "12345");
    assert_eq!(nm1.el(10), "");
    assert_eq!(nm1.opt(4), None);
}

#[test]
fn bom_crlf_and_line_breaks_between_segments_are_tolerated() {
    let plain = interchange(&BODY);
    let messy = format!("\u{feff}{}\r\n", plain.replace('~', "~\r\n"));
    let a = parse(plain.as_bytes()).expect("plain");
    let b = parse(messy.as_bytes()).expect("BOM and CRLF");
    let va: Vec<_> = a.segments().map(|s| s.values()).collect();
    let vb: Vec<_> = b.segments().map(|s| s.values()).collect();
    assert_eq!(va, vb);
    // Offsets count the BOM: they are positions in the file as given.
    let gs = b.segments().nth(1).expect("GS");
    assert_eq!(&messy[gs.offset..gs.offset + 3], "GS*");

    // A newline as the segment terminator, with CRLF line ends.
    let nl = plain.replace('~', "\r\n");
    let nl = nl.replacen("*:\r\n", "*:\n", 1);
    let c = parse(nl.as_bytes()).expect("newline terminator");
    assert_eq!(c.interchanges[0].delimiters.segment, b'\n');
    let vc: Vec<_> = c.segments().map(|s| s.values()).collect();
    assert_eq!(va, vc);
}

#[test]
fn delimiters_come_from_the_isa() {
    let x = interchange(&BODY)
        .replace('*', "|")
        .replace('~', "?\n")
        .replace("|^|", "|!|")
        .replace("|:?", "|>?");
    let doc = parse(x.as_bytes()).expect("custom delimiters");
    let d = doc.interchanges[0].delimiters;
    assert_eq!(
        d,
        Delimiters {
            element: b'|',
            repetition: Some(b'!'),
            component: b'>',
            segment: b'?'
        }
    );
    // Written with the usual delimiters and read again: the same values.
    let out = write_document(
        &doc,
        WriteOptions {
            delimiters: Some(Delimiters::default()),
            line_breaks: false,
        },
    )
    .expect("write");
    assert!(out.starts_with("ISA*00*"), "{out}");
    assert!(
        out.contains("*^*00501*") && out.contains("*T*:~GS*"),
        "{out}"
    );
    let again = parse(out.as_bytes()).expect("re-read");
    let a: Vec<_> = doc.segments().skip(1).map(|s| s.values()).collect();
    let b: Vec<_> = again.segments().skip(1).map(|s| s.values()).collect();
    assert_eq!(a, b);
    // With its own delimiters the text comes back as it was (less line breaks).
    let same = write_document(&doc, WriteOptions::default()).expect("write");
    assert_eq!(same, x.replace('\n', ""));
}

#[test]
fn repetitions_and_components_split_on_their_separators() {
    let x = interchange(&["EQ*30^1^33**FAM", "SV1*HC:99213:25:59*100*UN*1"]);
    let doc = parse(x.as_bytes()).expect("valid");
    let tx = doc.transactions().next().expect("tx");
    assert_eq!(tx.body[0].repetitions(1), vec!["30", "1", "33"]);
    assert!(tx.body[0].repetitions(2).is_empty());
    let sv1 = &tx.body[1];
    assert_eq!(
        sv1.components(1).collect::<Vec<_>>(),
        vec!["HC", "99213", "25", "59"]
    );
    assert_eq!(sv1.component(1, 2), "99213");
    assert_eq!(sv1.component(1, 9), "");
}

fn errors_of(x: &str) -> Vec<String> {
    read(x.as_bytes())
        .errors
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_wrong_se01_count_names_the_se_segment() {
    let x = interchange(&BODY).replace("SE*5*0001", "SE*4*0001");
    let p = read(x.as_bytes());
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    let e = &p.errors[0];
    assert_eq!(e.kind, ErrorKind::Count);
    let at = e.at.as_ref().expect("located");
    assert_eq!((at.tag.as_str(), at.position), ("SE", 7));
    assert_eq!(&x[at.offset..at.offset + 3], "SE*");
    assert_eq!(
        e.to_string(),
        format!(
            "segment 7 (SE) at byte {}: SE01 says 4 segments, but there are 5",
            at.offset
        )
    );
}

#[test]
fn mismatched_control_numbers_and_counts_are_each_reported() {
    let x = interchange(&BODY)
        .replace("SE*5*0001", "SE*5*0002")
        .replace("GE*1*7", "GE*2*8")
        .replace("IEA*1*000000042", "IEA*1*000000043");
    let e = errors_of(&x);
    assert_eq!(e.len(), 4, "{e:#?}");
    assert!(
        e[0].contains("(SE)")
            && e[0].contains("SE02 control number \"0002\" does not match ST02 \"0001\""),
        "{}",
        e[0]
    );
    assert!(
        e[1].contains("(GE)") && e[1].contains("GE01 says 2 transaction sets, but there are 1"),
        "{}",
        e[1]
    );
    assert!(
        e[2].contains("GE02 control number \"8\" does not match GS06 \"7\""),
        "{}",
        e[2]
    );
    assert!(e[3].contains("(IEA)") && e[3].contains("IEA02"), "{}", e[3]);
}

#[test]
fn missing_trailers_and_stray_segments_are_structure_errors() {
    let x = interchange(&BODY).replace("SE*5*0001~", "");
    let p = read(x.as_bytes());
    assert!(
        p.errors.iter().any(|e| e.kind == ErrorKind::Structure
            && e.to_string().contains("segment 3 (ST)")
            && e.message.contains("has no SE trailer")),
        "{:?}",
        p.errors
    );

    let x = interchange(&BODY).replace("GE*1*7~IEA*1*000000042~", "");
    let e = errors_of(&x);
    assert!(
        e.iter()
            .any(|m| m.contains("(GS)") && m.contains("no GE trailer")),
        "{e:?}"
    );
    assert!(
        e.iter()
            .any(|m| m.contains("(ISA)") && m.contains("no IEA trailer")),
        "{e:?}"
    );

    let x = interchange(&BODY).replace("GE*1*7~", "GE*1*7~NM1*XX~");
    let e = errors_of(&x);
    assert_eq!(e.len(), 1, "{e:?}");
    assert!(
        e[0].starts_with("segment 9 (NM1)") && e[0].contains("outside a transaction set"),
        "{e:?}"
    );

    let x = interchange(&BODY).replace("HL*1**20*1", "hl*1**20*1");
    let e = errors_of(&x);
    assert!(
        e[0].contains("segment 5 (hl)") && e[0].contains("not a segment identifier"),
        "{e:?}"
    );
}

#[test]
fn what_is_not_an_interchange_says_so() {
    for (input, needle) in [
        (&b""[..], "no interchange"),
        (b"hello", "must start with an ISA"),
        (b"ISA*00*", "ISA segment has 2 elements"),
        (b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240105*1230*^*00501*000000001*0*T*", "ends before ISA16"),
        (b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240105*1230*^*00501*000000001*0*T*:*", "are both '*'"),
        (b"\xff\xfeISA", "not UTF-8"),
    ] {
        let p = read(input);
        assert!(p.document.interchanges.is_empty());
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert!(p.errors[0].to_string().contains(needle), "{:?} -> {}", String::from_utf8_lossy(input), p.errors[0]);
    }
}

#[test]
fn interchanges_follow_each_other_with_their_own_delimiters() {
    let a = interchange(&BODY);
    let b = a
        .replace('*', "|")
        .replace('~', "\n")
        .replace("|:\n", "|>\n")
        .replace("|^|", "|!|");
    let both = format!("{a}\r\n{b}");
    let doc = parse(both.as_bytes()).expect("two interchanges");
    assert_eq!(doc.interchanges.len(), 2);
    assert_eq!(doc.interchanges[1].delimiters.element, b'|');
    assert_eq!(doc.interchanges[1].isa.position, 1);
    assert_eq!(doc.transactions().count(), 2);

    // An interchange without IEA ends where the next ISA starts.
    let cut = format!("{}{b}", a.replace("IEA*1*000000042~", ""));
    let p = read(cut.as_bytes());
    assert_eq!(p.document.interchanges.len(), 2);
    assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
    assert!(p.errors[0].message.contains("no IEA"));
}

#[test]
fn the_envelope_writer_fills_in_counts_and_control_numbers() {
    let body = |n: &str| {
        vec![
            Values::new("BHT").els(&["0022", "13", n, "20240105", "1230"]),
            Values::new("HL").els(&["1", "", "20", "1"]),
        ]
    };
    let segs = header()
        .wrap("HS", "270", "005010X279A1", vec![body("A"), body("B")])
        .expect("wrap");
    let x = to_x12(&segs, Delimiters::default(), true).expect("write");
    let doc = parse(x.as_bytes()).expect("its own output is valid");
    let isa = &doc.interchanges[0].isa;
    assert_eq!(isa.data.len() + 4, 105, "ISA is fixed length: {}", isa.data);
    assert_eq!(isa.el(13), "000000017");
    let ids: Vec<_> = doc.transactions().map(|t| t.control_number()).collect();
    assert_eq!(ids, vec!["0001", "0002"]);
    assert!(x.contains("SE*4*0002~\nGE*2*17~\nIEA*1*000000017~"), "{x}");

    let mut bad = header();
    bad.date = "2024-01-05".into();
    assert!(bad
        .wrap("HS", "270", "005010X279A1", vec![])
        .unwrap_err()
        .message
        .contains("CCYYMMDD"));
}

#[test]
fn the_writer_refuses_values_that_contain_a_delimiter() {
    let seg = Values::new("NM1").els(&["IL", "1", "O*BRIEN"]);
    let e = to_x12(&[seg], Delimiters::default(), false).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Write);
    assert!(
        e.message
            .contains("NM103 \"O*BRIEN\" contains '*', the element separator"),
        "{e}"
    );
    let seg = Values::new("N3").el("12 MAIN ST~APT 4");
    assert!(to_x12(&[seg], Delimiters::default(), false).is_err());
}
