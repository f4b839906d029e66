//! `debimage layer` end to end: .deb bytes in, a layer out, as the tool does it (data with
//! merged-/usr and a filter, the dpkg status entries, the whole archive checked to its end,
//! the layer written with its links resolved).
#![no_main]

use layer::{Layer, PathFilter, TarOptions};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(mut deb) = deb::DebReader::new(data) else {
        return;
    };
    let metadata = deb.metadata().clone();
    let options = TarOptions {
        filter: PathFilter::new(&[], &["usr/share/doc/*/changelog*".to_string()])
            .expect("a usable glob"),
        merged_usr: data.len() % 2 == 0,
        moves: vec![("bin/busybox".into(), "busybox/busybox".into())],
        // `layer --tar-keep-owners` or not: both paths of the owner handling.
        owner: (data.len() % 3 == 0).then_some((0, 0)),
        ..Default::default()
    };
    let mut layer = Layer::new();
    let Ok(stream) = deb.data() else {
        return;
    };
    if layer.add_tar_with(stream, &options).is_err() || deb.finish().is_err() {
        return;
    }
    let status = rootfs::StatusOptions {
        add_status_field: true,
    };
    if let Ok(entries) = rootfs::status_entries(&metadata, status) {
        for entry in entries {
            if layer.add(entry).is_err() {
                return;
            }
        }
    }
    if let Ok(digests) = layer::write_tar(&layer, std::io::sink(), 0, layer::LayerCompression::Gzip)
    {
        assert!(digests.diff_id.starts_with("sha256:"));
        let _ = layer.listing();
    }
});
