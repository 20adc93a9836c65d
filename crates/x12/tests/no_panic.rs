//! Reading never panics, whatever the bytes: arbitrary input, and valid
//! interchanges mutated (bytes changed, cut, delimiters inserted). The same
//! entry point as the cargo-fuzz target, so it runs in CI too.

mod common;

use clinicdesk_x12::fuzzing::exercise;
use proptest::prelude::*;

fn seeds() -> Vec<Vec<u8>> {
    let mut s: Vec<Vec<u8>> = [
        "271-benefits.x12",
        "271-rejected.x12",
        "276-request.x12",
        "277-status.x12",
        "277ca-acknowledgment.x12",
        "835-remittance.x12",
        "999-partial.x12",
    ]
    .iter()
    .map(|f| common::sample(f))
    .collect();
    s.push(
        common::batch(2)
            .to_x12(&common::header())
            .expect("837P")
            .into_bytes(),
    );
    s.push(
        common::inquiry()
            .to_x12(&common::header())
            .expect("270")
            .into_bytes(),
    );
    s
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Delete(usize, usize),
    Insert(usize, u8),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Delimiters and line breaks are where parsers break; ordinary bytes too.
    let byte = prop_oneof![
        prop::sample::select(vec![
            b'*', b'~', b':', b'^', b'\r', b'\n', b'|', b'0', b'9', b' '
        ]),
        any::<u8>(),
    ];
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut data: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        let len = data.len().max(1);
        match *m {
            Mutation::Set(i, b) => {
                if let Some(x) = data.get_mut(i % len) {
                    *x = b;
                }
            }
            Mutation::Delete(i, n) => {
                let start = (i % len).min(data.len());
                let end = (start + n).min(data.len());
                data.drain(start..end);
            }
            Mutation::Insert(i, b) => data.insert((i % len).min(data.len()), b),
            Mutation::Truncate(i) => data.truncate(i % len),
        }
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        exercise(&data);
    }

    #[test]
    fn arbitrary_text_after_an_isa_never_panics(tail in "[A-Z0-9*~:^|\r\n ]{0,400}") {
        let mut data = b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *240105*1230*^*00501*000000001*0*T*:~".to_vec();
        data.extend_from_slice(tail.as_bytes());
        exercise(&data);
    }

    #[test]
    fn mutated_interchanges_never_panic(
        seed in 0usize..9,
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let data = apply(seeds[seed % seeds.len()].clone(), &muts);
        exercise(&data);
    }
}

#[test]
fn the_seeds_themselves_round_trip() {
    for s in seeds() {
        assert!(clinicdesk_x12::read(&s).errors.is_empty());
        exercise(&s);
    }
}
