//! Whatever a peer sends, reading it gives a value or an error, never a panic.

use clinicdesk_clearinghouse::envelope::{field, Envelope};
use clinicdesk_clearinghouse::multipart;
use proptest::prelude::*;

fn valid_body() -> Vec<u8> {
    let fields = [
        (field::PAYLOAD_TYPE, "X12_271_Response_005010X279A1"),
        (field::PROCESSING_MODE, "RealTime"),
        (field::PAYLOAD_ID, "5f1e6a9e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"),
        (field::TIME_STAMP, "2026-11-22T15:00:00Z"),
        (field::SENDER_ID, "CH"),
        (field::RECEIVER_ID, "CLINIC"),
        (field::CORE_RULE_VERSION, "2.2.0"),
        (field::ERROR_CODE, "Success"),
        (field::PAYLOAD, "ISA*00~"),
    ];
    multipart::encode(&fields, "bnd")
}

proptest! {
    #[test]
    fn arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512), ct in ".{0,80}") {
        let _ = Envelope::decode(&ct, &body, true);
        let _ = Envelope::decode("multipart/form-data; boundary=bnd", &body, false);
    }

    #[test]
    fn mutated_valid_bodies(cut in 0usize..600, at in 0usize..600, byte in any::<u8>()) {
        let mut body = valid_body();
        assert!(Envelope::decode("multipart/form-data; boundary=bnd", &body, true).is_ok());
        if let Some(b) = body.get_mut(at) {
            *b = byte;
        }
        body.truncate(cut);
        let _ = Envelope::decode("multipart/form-data; boundary=bnd", &body, true);
    }

    #[test]
    fn arbitrary_payloads(payload in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = clinicdesk_clearinghouse::eligibility::read_271(&payload, "T", false);
        let _ = clinicdesk_clearinghouse::eligibility::read_271(&payload, "T", true);
    }
}
