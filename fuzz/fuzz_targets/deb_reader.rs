//! A whole .deb: ar, compressed control.tar and data.tar.
#![no_main]

use std::io::Read;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(mut deb) = deb::DebReader::new(data) {
        if let Ok(mut stream) = deb.data() {
            let _ = stream.read_to_end(&mut Vec::new());
        }
    }
});
