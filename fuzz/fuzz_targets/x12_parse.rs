//! Any bytes: read, build the typed models, write back and read again
//! (the same entry point as crates/x12/tests/no_panic.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    clinicdesk_x12::fuzzing::exercise(data);
});
