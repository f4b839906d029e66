//! The deb822 control paragraph parser.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(control) = deb::Control::parse(&String::from_utf8_lossy(data)) {
        let _ = (
            control.package(),
            control.version(),
            control.fields().count(),
        );
    }
});
