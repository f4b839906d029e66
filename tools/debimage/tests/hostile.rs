//! Hostile and broken inputs: each fails with one clear message naming the input, and leaves
//! no output file (not even a temporary one) behind.

use std::path::PathBuf;
use std::process::Command;

fn debimage() -> PathBuf {
    let path = match std::env::var("DEBIMAGE") {
        Ok(path) => PathBuf::from(path),
        Err(_) => PathBuf::from(env!("CARGO_BIN_EXE_debimage")),
    };
    std::fs::canonicalize(&path).unwrap_or(path)
}

fn ar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = b"!<arch>\n".to_vec();
    for (name, data) in members {
        let header = format!(
            "{:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
            format!("{name}/"),
            0,
            0,
            0,
            100644,
            data.len()
        );
        out.extend(header.as_bytes());
        out.extend(*data);
        if data.len() % 2 == 1 {
            out.push(b'\n');
        }
    }
    out
}

/// A raw tar entry, written without any of the checks a tar library would make.
struct Raw<'a> {
    name: &'a str,
    typeflag: u8,
    data: &'a [u8],
    link: &'a str,
}

fn tar(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let mut h = [0u8; 512];
        h[..e.name.len()].copy_from_slice(e.name.as_bytes());
        h[100..108].copy_from_slice(b"0000644\0");
        h[108..116].copy_from_slice(b"0000000\0");
        h[116..124].copy_from_slice(b"0000000\0");
        h[124..136].copy_from_slice(format!("{:011o}\0", e.data.len()).as_bytes());
        h[136..148].copy_from_slice(b"00000000000\0");
        h[156] = e.typeflag;
        h[157..157 + e.link.len()].copy_from_slice(e.link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        out.extend(h);
        out.extend(e.data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend([0u8; 1024]);
    out
}

fn file<'a>(name: &'a str, data: &'a [u8]) -> Raw<'a> {
    Raw {
        name,
        typeflag: b'0',
        data,
        link: "",
    }
}

const CONTROL: &str = "Package: hostile\nVersion: 1.0\nArchitecture: all\n";

fn deb_with(control: &str, data_name: &str, data: &[u8]) -> Vec<u8> {
    let control_tar = tar(&[file("./control", control.as_bytes())]);
    ar(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar", &control_tar),
        (data_name, data),
    ])
}

fn deb(entries: &[Raw]) -> Vec<u8> {
    deb_with(CONTROL, "data.tar", &tar(entries))
}

/// Runs `debimage layer ARGS` in a scratch directory holding `inputs`; checks that it fails
/// with one line and leaves nothing but the inputs; returns the message after "error: ".
fn layer_fails(args: &[&str], inputs: &[(&str, &[u8])]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, bytes) in inputs {
        std::fs::write(dir.path().join(name), bytes).expect("write input");
    }
    let out = Command::new(debimage())
        .arg("layer")
        .args(args)
        .args(["--out", "layer.tar.gz", "--digests-out", "digests.json"])
        .current_dir(dir.path())
        .output()
        .expect("run debimage");
    assert_eq!(out.status.code(), Some(1), "{args:?}: exit status");
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    let mut want: Vec<_> = inputs.iter().map(|(n, _)| n.to_string()).collect();
    want.sort();
    assert_eq!(left, want, "{args:?}: files left behind");
    let stderr = String::from_utf8(out.stderr).expect("utf-8 stderr");
    assert_eq!(stderr.lines().count(), 1, "{args:?}: one line: {stderr}");
    let message = stderr.strip_prefix("debimage: error: ").unwrap_or(&stderr);
    message.trim_end().to_string()
}

/// `layer_fails` for one .deb; returns the message after the name of the input.
fn fails(case: &str, bytes: &[u8]) -> String {
    let name = format!("{case}.deb");
    let message = layer_fails(&["--status", "--deb", &name], &[(&name, bytes)]);
    let rest = message.strip_prefix(&format!("{name}: "));
    assert!(
        rest.is_some(),
        "{case}: message does not name the input: {message}"
    );
    rest.unwrap_or_default().to_string()
}

#[test]
fn broken_archives() {
    let good = deb(&[file("./etc/x", b"x")]);
    assert_eq!(fails("empty", b""), "ar: not an ar archive (bad signature)");
    assert_eq!(
        fails("truncated_header", &good[..8 + 30]),
        "ar: truncated member header (30 of 60 bytes)"
    );
    let cut = good.len() - 700;
    assert_eq!(
        fails("member_past_eof", &good[..cut]),
        "data.tar: ar member data runs past the end of the archive (700 bytes missing)"
    );
    assert_eq!(
        fails(
            "unknown_compression",
            &deb_with(CONTROL, "data.tar.lz4", b"x")
        ),
        "data.tar.lz4: unknown compression"
    );
    assert_eq!(
        fails("mislabelled", &deb_with(CONTROL, "data.tar.xz", &tar(&[]))),
        "data.tar.xz: not xz data (bad magic bytes)"
    );
}

#[test]
fn corrupt_xz() {
    let mut xz = Vec::new();
    {
        use std::io::Write;
        let mut enc = xz2::write::XzEncoder::new(&mut xz, 6);
        enc.write_all(&tar(&[file("./etc/x", &[7u8; 4096])]))
            .expect("xz");
        enc.finish().expect("xz");
    }
    let mid = xz.len() / 2;
    xz[mid] ^= 0x55;
    let message = fails("corrupt_xz", &deb_with(CONTROL, "data.tar.xz", &xz));
    assert!(message.starts_with("data.tar.xz: "), "{message}");
}

/// Crafted tar entries and the message each gets (after the input's name).
fn hostile_entries() -> Vec<(&'static str, Vec<Raw<'static>>, &'static str)> {
    vec![
        ("dotdot", vec![file("./../etc/passwd", b"x")], "./../etc/passwd: path contains \"..\""),
        ("absolute", vec![file("/etc/passwd", b"x")], "/etc/passwd: absolute path in the archive"),
        (
            "device",
            vec![Raw { name: "./dev/sda", typeflag: b'4', data: b"", link: "" }],
            "dev/sda: device nodes are not allowed in a layer",
        ),
        (
            "fifo",
            vec![Raw { name: "./run/fifo", typeflag: b'6', data: b"", link: "" }],
            "run/fifo: FIFOs are not allowed in a layer",
        ),
        (
            "symlink_escape",
            vec![Raw { name: "./usr/lib/evil", typeflag: b'2', data: b"", link: "../../../etc/shadow" }],
            "usr/lib/evil: symlink target \"../../../etc/shadow\" climbs out of the image root",
        ),
        (
            "hardlink_missing",
            vec![Raw { name: "./bin/a", typeflag: b'1', data: b"", link: "./bin/missing" }],
            "bin/a: hardlink to bin/missing, which is not in the layer (yet)",
        ),
        (
            "hardlink_outside",
            vec![Raw { name: "./bin/a", typeflag: b'1', data: b"", link: "../../etc/shadow" }],
            "../../etc/shadow: path contains \"..\"",
        ),
        (
            "duplicate",
            vec![file("./etc/x", b"one"), file("./etc/x", b"two")],
            "etc/x: added twice with different content (file 0644 0:0 of 3 bytes and file 0644 0:0 of 3 bytes)",
        ),
    ]
}

#[test]
fn hostile_paths_and_entry_types() {
    for (case, entries, want) in hostile_entries() {
        assert_eq!(
            fails(case, &deb(&entries)),
            format!("data.tar: {want}"),
            "{case}"
        );
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    gzip_at(bytes, flate2::Compression::default())
}

fn gzip_at(bytes: &[u8], level: flate2::Compression) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// `debimage layer --tar`: the same checks as for .deb data, whatever the compression.
#[test]
fn hostile_tar_files() {
    for (case, entries, want) in hostile_entries() {
        let plain = tar(&entries);
        let zstd = zstd::encode_all(&plain[..], 3).expect("zstd");
        for (ext, bytes) in [
            ("tar", plain.clone()),
            ("tar.gz", gzip(&plain)),
            ("tar.zst", zstd),
        ] {
            let name = format!("{case}.{ext}");
            let message = layer_fails(&["--tar", &name], &[(&name, &bytes)]);
            assert_eq!(message, format!("{name}: {want}"), "{name}");
        }
    }
    let outside = tar(&[file("./app-1.0/bin/app", b"x"), file("./etc/passwd", b"x")]);
    assert_eq!(
        layer_fails(
            &["--tar", "app.tar", "--tar-strip-prefix", "app-1.0"],
            &[("app.tar", &outside)]
        ),
        "app.tar: etc/passwd: not under the stripped prefix app-1.0"
    );
    // Stored (uncompressed) deflate blocks, one content byte flipped: only gzip's CRC-32 at
    // the end of the stream, after the tar's end, tells.
    let mut corrupt = gzip_at(
        &tar(&[file("./etc/x", &[7; 100_000])]),
        flate2::Compression::none(),
    );
    let at = corrupt.len() * 3 / 4;
    corrupt[at] ^= 0xff;
    assert_eq!(
        layer_fails(
            &["--tar", "corrupt.tar.gz"],
            &[("corrupt.tar.gz", &corrupt)]
        ),
        "corrupt.tar.gz: corrupt gzip stream does not have a matching checksum"
    );
    for (name, bytes) in [
        ("text.tar", b"not a tar\n".repeat(100)),
        ("short.tar", b"x".to_vec()),
        ("text.tar.gz", gzip(b"not a tar")),
    ] {
        assert_eq!(
            layer_fails(&["--tar", name], &[(name, &bytes)]),
            format!("{name}: not a tar file (plain or gzip, zstd, xz, bzip2 compressed)")
        );
    }
    assert_eq!(
        layer_fails(&["--tar", "missing.tar"], &[]),
        "cannot open missing.tar: No such file or directory (os error 2)"
    );
}

#[test]
fn broken_control_files() {
    let data = tar(&[file("./etc/x", b"x")]);
    assert_eq!(
        fails(
            "no_version",
            &deb_with("Package: a\nArchitecture: all\n", "data.tar", &data)
        ),
        "control file: missing Version field"
    );
    assert_eq!(
        fails(
            "no_package",
            &deb_with("Version: 1\nArchitecture: all\n", "data.tar", &data)
        ),
        "control file: missing Package field"
    );
    assert_eq!(
        fails(
            "bad_name",
            &deb_with(
                "Package: ../../x\nVersion: 1\nArchitecture: all\n",
                "data.tar",
                &data
            )
        ),
        "package name \"../../x\" is not a valid Debian package name"
    );
}

#[test]
fn bad_users_and_groups() {
    let passwd = br#"[{"name":"app","uid":1000,"gid":1000,"gecos":"a:b","home":"/home/app","shell":"/sbin/nologin"}]"#;
    assert_eq!(
        layer_fails(&["--passwd", "users.json"], &[("users.json", passwd)]),
        "users.json: passwd entry \"app\": field \"gecos\" contains ':'"
    );
    let newline = br#"[{"name":"app","uid":1000,"gid":1000,"gecos":"a\nroot::0:0::/:/bin/sh","home":"/home/app","shell":"/sbin/nologin"}]"#;
    assert_eq!(
        layer_fails(&["--passwd", "users.json"], &[("users.json", newline)]),
        "users.json: passwd entry \"app\": field \"gecos\" contains '\\n'"
    );
    let duplicate = br#"[{"name":"a","uid":7,"gid":7,"gecos":"","home":"/","shell":"/sbin/nologin"},
                        {"name":"b","uid":7,"gid":8,"gecos":"","home":"/","shell":"/sbin/nologin"}]"#;
    assert_eq!(
        layer_fails(&["--passwd", "users.json"], &[("users.json", duplicate)]),
        "users.json: passwd entry \"b\": uid 7 is already used by \"a\""
    );
    assert_eq!(
        layer_fails(&["--group", "groups.json"], &[("groups.json", b"{not json")]),
        "groups.json: not the expected JSON: invalid type: map, expected a sequence at line 1 column 1"
    );
}
