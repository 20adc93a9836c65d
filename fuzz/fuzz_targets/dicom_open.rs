//! Any bytes: open as DICOM, describe, list tags, decode and render
//! (the same entry point as crates/imaging/tests/no_panic.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    clinicdesk_imaging::fuzzing::exercise(data);
});
