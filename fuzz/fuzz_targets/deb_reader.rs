//! A whole .deb: ar, compressed control.tar and data.tar, read to the end and checked.
#![no_main]

use std::io::Read;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(mut deb) = deb::DebReader::new(data) {
        let read = match deb.data() {
            Ok(mut stream) => stream.read_to_end(&mut Vec::new()).is_ok(),
            Err(_) => false,
        };
        if read {
            let _ = deb.finish();
        }
    }
});
