//! The ar container reader: errors are fine, panics, hangs and runaway memory are bugs.
#![no_main]

use std::io::Read;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut ar) = deb::ar::ArReader::new(data) else {
        return;
    };
    while let Ok(Some(_name)) = ar.next_member() {
        let _ = ar.member().read_to_end(&mut Vec::new());
    }
});
