//! A package's data.tar into a layer, and the layer written back out.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut layer = layer::Layer::new();
    if layer.add_tar(data).is_ok() {
        let _ = layer.write_gzip(std::io::sink(), 0);
        let _ = layer.listing();
    }
});
