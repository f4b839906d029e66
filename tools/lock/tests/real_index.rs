//! The parser on the real bookworm main amd64 index (~64,000 packages, ~45 MB), fetched once
//! into target/test-debs/ and checked against its signed InRelease. Needs the network the
//! first time; not part of `bazel test`.

mod support;

use std::time::Instant;

use debimage_lock::packages::{decompress, parse, Compression};
use debimage_lock::resolve::{resolve, Index};
use support::DEBIAN;

#[test]
fn parses_the_full_bookworm_amd64_index() {
    let xz = support::packages_xz(DEBIAN, "bookworm", "amd64");
    let text = decompress(&xz, Compression::Xz, "bookworm main amd64").expect("xz");
    let started = Instant::now();
    let packages = parse(&text, "bookworm main amd64").expect("parse");
    println!(
        "{} packages, {:.1} MB, parsed in {:?} (not asserted: debug builds are slow)",
        packages.len(),
        text.len() as f64 / 1e6,
        started.elapsed()
    );
    assert!(packages.len() > 60_000, "{} packages", packages.len());
    let libc6 = packages
        .iter()
        .find(|p| p.name == "libc6")
        .expect("libc6 is in bookworm main");
    assert!(libc6.version.starts_with("2.36-9"), "{}", libc6.version);
    assert_eq!((libc6.source, libc6.architecture), ("glibc", "amd64"));
    assert_eq!(libc6.multi_arch, "same");
    // Every relationship field of the archive parses.
    for p in &packages {
        p.dependencies("bookworm main amd64").expect("Depends");
        p.provided("bookworm main amd64").expect("Provides");
    }
    // And the base sets resolve against bookworm alone.
    let mut index = Index::new("amd64");
    index.add(&packages, "bookworm", DEBIAN).expect("index");
    let requests = vec!["libc6".to_string(), "libssl3 (>= 3.0)".to_string()];
    let selected = resolve(&index, &requests, true).expect("resolve");
    let names: Vec<&str> = selected.keys().copied().collect();
    assert!(
        names.contains(&"libgcc-s1") && names.contains(&"libssl3"),
        "{names:?}"
    );
}
