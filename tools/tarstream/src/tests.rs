use super::*;
use std::process::Command;

/// One raw header block, written without the checks a tar writer would make.
fn header(name: &[u8], typeflag: u8, size: &[u8; 12], link: &[u8]) -> [u8; BLOCK] {
    let mut h = [0u8; BLOCK];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(size);
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    checksum(&mut h);
    h
}

fn checksum(h: &mut [u8; BLOCK]) {
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
}

fn octal_size(size: usize) -> [u8; 12] {
    let mut field = [0u8; 12];
    field.copy_from_slice(format!("{size:011o}\0").as_bytes());
    field
}

/// An entry with data, padded.
fn entry(name: &str, typeflag: u8, data: &[u8], link: &str) -> Vec<u8> {
    let mut out = header(
        name.as_bytes(),
        typeflag,
        &octal_size(data.len()),
        link.as_bytes(),
    )
    .to_vec();
    out.extend(data);
    out.resize(out.len().div_ceil(BLOCK) * BLOCK, 0);
    out
}

fn pax(records: &[(&str, &str)]) -> Vec<u8> {
    let mut data = String::new();
    for (k, v) in records {
        let body = k.len() + v.len() + 3;
        let mut len = body + body.to_string().len();
        if len.to_string().len() != body.to_string().len() {
            len += 1;
        }
        data.push_str(&format!("{len} {k}={v}\n"));
    }
    data.into_bytes()
}

fn end() -> Vec<u8> {
    vec![0u8; 2 * BLOCK]
}

/// Every entry with its data, or the first error.
fn read_all(bytes: &[u8]) -> Result<Vec<(Header, Vec<u8>)>, Error> {
    let mut archive = Archive::new(bytes);
    let mut out = Vec::new();
    while let Some(h) = archive.next_entry()? {
        let mut data = Vec::new();
        archive.data().read_to_end(&mut data)?;
        out.push((h, data));
    }
    Ok(out)
}

fn error(bytes: &[u8]) -> String {
    read_all(bytes).expect_err("must be refused").to_string()
}

#[test]
fn reads_what_gnu_tar_writes_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("root");
    let long_dir = format!("d/{}/{}", "a".repeat(90), "b".repeat(90));
    std::fs::create_dir_all(root.join(&long_dir)).expect("mkdir");
    let long_file = format!("{long_dir}/{}", "f".repeat(120));
    std::fs::write(root.join(&long_file), b"long").expect("write");
    std::fs::write(root.join("d/plain"), vec![7u8; 1000]).expect("write");
    std::os::unix::fs::symlink(format!("../{}", "t".repeat(150)), root.join("d/link"))
        .expect("symlink");
    std::fs::hard_link(root.join("d/plain"), root.join("d/zhard")).expect("hardlink");
    for format in ["gnu", "pax", "ustar"] {
        if format == "ustar" {
            // ustar cannot hold a 150-byte link target nor a 120-byte last component.
            std::fs::remove_file(root.join("d/link")).expect("rm");
            std::fs::remove_file(root.join(&long_file)).expect("rm");
        }
        let out = Command::new("tar")
            .args(["--sort=name", "--owner=0", "--group=0", "--numeric-owner"])
            .arg(format!("--format={format}"))
            .args(["-cf", "-", "-C"])
            .arg(&root)
            .arg("d")
            .output()
            .expect("run GNU tar");
        assert!(
            out.status.success(),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let entries = read_all(&out.stdout).unwrap_or_else(|e| panic!("{format}: {e}"));
        let find = |path: &str| {
            entries
                .iter()
                .find(|(h, _)| h.path == path.as_bytes())
                .unwrap_or_else(|| panic!("{format}: no {path}"))
        };
        let (plain, data) = find("d/plain");
        assert_eq!(
            (plain.entry_type, plain.size, data.len()),
            (EntryType::Regular, 1000, 1000)
        );
        let (hard, _) = find("d/zhard");
        assert_eq!(
            (hard.entry_type, hard.link.as_slice()),
            (EntryType::Hardlink, &b"d/plain"[..])
        );
        assert_eq!(
            find(&format!("{long_dir}/")).0.entry_type,
            EntryType::Directory
        );
        if format != "ustar" {
            let (file, data) = find(&long_file);
            assert_eq!(
                (file.entry_type, data.as_slice()),
                (EntryType::Regular, &b"long"[..])
            );
            let (link, _) = find("d/link");
            assert_eq!(link.entry_type, EntryType::Symlink);
            assert_eq!(link.link, format!("../{}", "t".repeat(150)).into_bytes());
        }
    }
}

#[test]
fn pax_records_override_the_header() {
    let mut bytes = entry(
        "PaxHeaders/x",
        b'x',
        &pax(&[
            ("path", "p/ä"),
            ("uid", "4294967294"),
            ("mtime", "1.5"),
            ("SCHILY.xattr.user.a", "b=c"),
        ]),
        "",
    );
    bytes.extend(entry("short", b'0', b"data", ""));
    bytes.extend(end());
    let entries = read_all(&bytes).expect("read");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0.path, "p/ä".as_bytes());
    assert_eq!(entries[0].0.uid, 4294967294);
    assert_eq!(entries[0].1, b"data");
}

#[test]
fn base256_numbers() {
    let mut size = [0u8; 12];
    size[0] = 0x80;
    size[11] = 5;
    let mut bytes = header(b"f", b'0', &size, b"").to_vec();
    bytes.extend(b"hello");
    bytes.resize(BLOCK * 2, 0);
    bytes.extend(end());
    assert_eq!(read_all(&bytes).expect("read")[0].1, b"hello");
    assert_eq!(number(&[0xff; 8]), None, "negative");
    assert_eq!(
        number(&[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        None,
        "beyond u64"
    );
    assert_eq!(number(b"  0755 \0"), Some(0o755));
    assert_eq!(number(b"\0\0\0\0"), Some(0));
    assert_eq!(number(b"07x5\0"), None);
}

#[test]
fn huge_declared_sizes_allocate_nothing() {
    // 2^62 bytes declared, five present: an error when the data runs out, not an allocation.
    let mut size = [0u8; 12];
    size[0] = 0x80;
    size[4] = 0x40;
    let mut bytes = header(b"bomb", b'0', &size, b"").to_vec();
    bytes.extend(b"short");
    let mut archive = Archive::new(&bytes[..]);
    let h = archive.next_entry().expect("header").expect("entry");
    assert_eq!(h.size, 1 << 62);
    let err = io::copy(&mut archive.data(), &mut io::sink()).expect_err("short");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(
        err.to_string()
            .starts_with("bomb: the archive ends inside the data ("),
        "{err}"
    );
    // The same size on an extended header is refused before anything is read.
    let bytes = header(b"././@LongLink", b'L', &size, b"");
    assert_eq!(
        error(&bytes),
        "extended header at byte 0 is 4611686018427387904 bytes long, more than the 1048576 allowed"
    );
}

#[test]
fn ambiguities_are_refused() {
    let two_names = [
        entry("././@LongLink", b'L', b"one\0", ""),
        entry("././@LongLink", b'L', b"two\0", ""),
        entry("x", b'0', b"", ""),
        end(),
    ]
    .concat();
    assert_eq!(
        error(&two_names),
        "two extended headers of type 'L' for one entry (byte 1024)"
    );
    let both = [
        entry("PaxHeaders/x", b'x', &pax(&[("path", "one")]), ""),
        entry("././@LongLink", b'L', b"two\0", ""),
        entry("x", b'0', b"", ""),
        end(),
    ]
    .concat();
    assert_eq!(
        error(&both),
        "entry at byte 2048 has both a PAX path and a GNU long name"
    );
    let dir_with_data = [entry("d/", b'5', b"hidden", ""), end()].concat();
    assert_eq!(
        error(&dir_with_data),
        "d/: a Directory entry with 6 bytes of data"
    );
    let link_without_target = [entry("l", b'2', b"", ""), end()].concat();
    assert_eq!(error(&link_without_target), "l: a link without a target");
    let global = [entry("g", b'g', &pax(&[("path", "x")]), ""), end()].concat();
    assert_eq!(
        error(&global),
        "PAX header at byte 0: a global header may not set path"
    );
    let sparse = [
        entry("x", b'x', &pax(&[("GNU.sparse.size", "9")]), ""),
        end(),
    ]
    .concat();
    assert_eq!(
        error(&sparse),
        "PAX header at byte 0: sparse files are not supported"
    );
    let twice = [
        entry("x", b'x', &pax(&[("uid", "1"), ("uid", "2")]), ""),
        entry("f", b'0', b"", ""),
        end(),
    ]
    .concat();
    assert_eq!(error(&twice), "PAX header at byte 0: uid given twice");
    let bad_record = [
        entry("x", b'x', b"99 path=x\n", ""),
        entry("f", b'0', b"", ""),
        end(),
    ]
    .concat();
    assert_eq!(
        error(&bad_record),
        "PAX header at byte 0: malformed record length"
    );
    let dangling = [entry("././@LongLink", b'L', b"name\0", ""), end()].concat();
    assert_eq!(
        error(&dangling),
        "extended header without an entry before the end of the archive (byte 1024)"
    );
}

#[test]
fn corrupt_and_truncated_archives() {
    let good = [entry("f", b'0', b"data", ""), end()].concat();
    assert_eq!(read_all(&good).expect("read").len(), 1);
    let mut bad_sum = good.clone();
    bad_sum[0] = b'g';
    assert_eq!(
        error(&bad_sum),
        "tar header at byte 0: checksum mismatch (not a tar archive, or corrupt)"
    );
    let mut bad_magic = header(b"f", b'0', &octal_size(0), b"");
    bad_magic[257..263].copy_from_slice(b"ustaR\0");
    checksum(&mut bad_magic);
    assert_eq!(
        error(&bad_magic),
        "tar header at byte 0: unknown format (magic and version fields)"
    );
    assert_eq!(
        error(&good[..BLOCK + 2]),
        "f: the archive ends inside the data (2 bytes missing)"
    );
    assert_eq!(
        error(&good[..BLOCK]),
        "f: the archive ends inside the data (4 bytes missing)"
    );
    assert_eq!(
        error(&good[..BLOCK + 4]),
        "f: the archive ends inside the padding after the data"
    );
    assert_eq!(
        error(&good[..2 * BLOCK]),
        "the archive ends without an end-of-archive marker (truncated?)"
    );
    assert_eq!(
        error(&good[..100]),
        "the archive ends inside a header (100 of 512 bytes at byte 0)"
    );
    let mut garbage = good.clone();
    garbage.extend(vec![0u8; 9000]);
    garbage.push(1);
    assert_eq!(
        error(&garbage),
        "data after the end-of-archive marker (at byte 11048)"
    );
    // A lone zero block, and zero record padding, are fine.
    assert_eq!(
        read_all(&good[..3 * BLOCK]).expect("lone zero block").len(),
        1
    );
    let mut padded = good.clone();
    padded.resize(10240, 0);
    assert_eq!(read_all(&padded).expect("record padding").len(), 1);
}

#[test]
fn reads_to_the_end_of_the_input() {
    let good = [entry("f", b'0', b"data", ""), end(), vec![0u8; 5000]].concat();
    let mut archive = Archive::new(&good[..]);
    while archive.next_entry().expect("read").is_some() {}
    assert!(archive.into_inner().is_empty());
}
