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

/// One header block: numbers in octal when they fit, base-256 (GNU) when not.
fn header(name: &[u8], typeflag: u8, size: u64, link: &[u8], uid: u64) -> [u8; 512] {
    fn number(field: &mut [u8], value: u64) {
        let width = field.len() - 1;
        let octal = format!("{value:0width$o}");
        if octal.len() <= width {
            field[..width].copy_from_slice(octal.as_bytes());
        } else {
            field.fill(0);
            field[0] = 0x80;
            let n = field.len();
            field[n - 8..].copy_from_slice(&value.to_be_bytes());
        }
    }
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name);
    h[100..108].copy_from_slice(b"0000644\0");
    number(&mut h[108..116], uid);
    h[116..124].copy_from_slice(b"0000000\0");
    number(&mut h[124..136], size);
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = typeflag;
    h[157..157 + link.len()].copy_from_slice(link);
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].fill(b' ');
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

fn tar(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend(header(
            e.name.as_bytes(),
            e.typeflag,
            e.data.len() as u64,
            e.link.as_bytes(),
            0,
        ));
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

/// A raw entry: one header and its data, padded.
fn raw(name: &[u8], typeflag: u8, data: &[u8], link: &[u8], uid: u64) -> Vec<u8> {
    let mut out = header(name, typeflag, data.len() as u64, link, uid).to_vec();
    out.extend(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// A tar of raw entries, with the end-of-archive marker.
fn tar_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out = entries.concat();
    out.extend([0u8; 1024]);
    out
}

/// A PAX extended header setting `records`.
fn pax(records: &[(&str, &[u8])]) -> Vec<u8> {
    let mut data = Vec::new();
    for (key, value) in records {
        let body = key.len() + value.len() + 3;
        let mut len = body + body.to_string().len();
        if len.to_string().len() != body.to_string().len() {
            len += 1;
        }
        data.extend(format!("{len} {key}=").as_bytes());
        data.extend(*value);
        data.push(b'\n');
    }
    raw(b"PaxHeaders/x", b'x', &data, b"", 0)
}

/// Runs `debimage ARGS` in `dir` with its address space limited to `mib` MiB. Two malloc
/// arenas, so that the limit does not depend on the number of cores (glibc reserves 64 MiB
/// of address space per arena).
fn run_limited(dir: &std::path::Path, mib: u64, args: &[&str]) -> std::process::Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {}; exec \"$0\" \"$@\"", mib * 1024))
        .arg(debimage())
        .args(args)
        .env("MALLOC_ARENA_MAX", "2")
        .current_dir(dir)
        .output()
        .expect("run debimage")
}

/// The memory limit for a run that must not hold its input: well below the 256 MiB of zeros
/// the inputs below expand to.
const LIMIT_MIB: u64 = 200;
const BOMB: u64 = 256 << 20;

/// A tar holding one file of `size` zero bytes, written into `out` without holding it.
fn zeros_tar<W: std::io::Write>(mut out: W, size: u64) -> W {
    out.write_all(&header(b"./zeros", b'0', size, b"", 0))
        .expect("write");
    let chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        out.write_all(&chunk[..n]).expect("write");
        left -= n as u64;
    }
    let pad = (512 - size % 512) % 512;
    out.write_all(&vec![0u8; pad as usize + 1024])
        .expect("write");
    out
}

#[test]
fn compression_bombs_stay_within_a_memory_limit() {
    use std::io::Write;
    let gz = {
        let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        zeros_tar(enc, BOMB).finish().expect("gzip")
    };
    let xz = {
        let enc = xz2::write::XzEncoder::new(Vec::new(), 0);
        zeros_tar(enc, BOMB).finish().expect("xz")
    };
    let zst = {
        let enc = zstd::stream::write::Encoder::new(Vec::new(), 1).expect("zstd");
        zeros_tar(enc, BOMB).finish().expect("zstd")
    };
    for (member, data) in [
        ("data.tar.gz", gz),
        ("data.tar.xz", xz),
        ("data.tar.zst", zst),
    ] {
        assert!(
            data.len() < 2 << 20,
            "{member}: a bomb, {} bytes",
            data.len()
        );
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("bomb.deb"),
            deb_with(CONTROL, member, &data),
        )
        .expect("write");
        let out = run_limited(
            dir.path(),
            LIMIT_MIB,
            &[
                "layer",
                "--deb",
                "bomb.deb",
                "--out",
                "l.tgz",
                "--listing-out",
                "l.txt",
            ],
        );
        assert!(
            out.status.success(),
            "{member}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let listing = std::fs::read_to_string(dir.path().join("l.txt")).expect("listing");
        assert_eq!(listing, format!("/zeros f 0644 0:0 {BOMB}\n"), "{member}");
        let mut gunzip = flate2::read::GzDecoder::new(
            std::fs::File::open(dir.path().join("l.tgz")).expect("layer"),
        );
        let n = std::io::copy(&mut gunzip, &mut std::io::sink()).expect("gunzip");
        assert_eq!(n, BOMB + 512 + 1024, "{member}: header, data, end marker");
        std::io::sink().flush().expect("flush");
    }
}

#[test]
fn huge_declared_sizes_are_errors_not_allocations() {
    // 2^62 bytes declared in base-256, and 8 GB in octal, with five bytes present.
    for (case, size) in [("base256", 1u64 << 62), ("octal", 8_000_000_000)] {
        let mut data = header(b"./bomb", b'0', size, b"", 0).to_vec();
        data.extend(b"short");
        let message = fails(case, &deb_with(CONTROL, "data.tar", &data));
        assert_eq!(
            message,
            format!(
                "data.tar: ./bomb: the archive ends inside the data ({} bytes missing)",
                size - 5
            ),
            "{case}"
        );
    }
    let data = tar_of(&[raw(b"././@LongLink", b'L', b"", b"", 0)]);
    let mut long = data.clone();
    long[124..136].copy_from_slice(&[0x80, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    let sum_fixed = {
        let mut h: [u8; 512] = long[..512].try_into().expect("block");
        h[148..156].fill(b' ');
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        [h.to_vec(), long[512..].to_vec()].concat()
    };
    assert_eq!(
        fails("long_name_bomb", &deb_with(CONTROL, "data.tar", &sum_fixed)),
        "data.tar: extended header at byte 0 is 4611686018427387904 bytes long, more than the 1048576 allowed"
    );
}

#[test]
fn large_md5sums_are_refused_not_held() {
    let md5sums = raw(b"./md5sums", b'0', &vec![b'0'; 40 << 20], b"", 0);
    let control = tar_of(&[raw(b"./control", b'0', CONTROL.as_bytes(), b"", 0), md5sums]);
    let bytes = ar(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar", &control),
        ("data.tar", &tar(&[file("./etc/x", b"x")])),
    ]);
    assert_eq!(
        fails("md5sums", &bytes),
        "control.tar: md5sums is 41943040 bytes, more than the 33554432 allowed"
    );
}

#[test]
fn whiteouts_are_refused_in_every_layer() {
    for name in ["./etc/.wh.passwd", "./etc/.wh..wh..opq"] {
        let message = fails("whiteout", &deb(&[file(name, b"")]));
        assert!(
            message.starts_with(&format!(
                "data.tar: {}: a name starting with .wh. is a whiteout",
                &name[2..]
            )),
            "{message}"
        );
    }
    let entries = br#"[{"path": "/etc/.wh.shadow", "type": "file", "content": ""}]"#;
    let message = layer_fails(&["--entries", "e.json"], &[("e.json", entries)]);
    assert!(
        message.starts_with("e.json: etc/.wh.shadow: a name starting with .wh. is a whiteout"),
        "{message}"
    );
    // A tar given to flatten: its whiteouts would delete from the layers below.
    for name in ["etc/.wh.passwd", "etc/.wh..wh..opq"] {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("w.tar"), tar(&[file(name, b"")])).expect("write");
        let out = Command::new(debimage())
            .args(["flatten", "--input", "w=w.tar", "--out", "flat.tgz"])
            .current_dir(dir.path())
            .output()
            .expect("run debimage");
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.trim_end(),
            format!(
                "debimage: error: w: w.tar: {name}: whiteout entries are not supported here \
                 (a layer we write holds none)"
            )
        );
        assert!(!dir.path().join("flat.tgz").exists());
    }
}

#[test]
fn long_pax_paths_fail_fast() {
    // 1 MB of path in 4000 components: quadratic work and memory before.
    let path = "./".to_string() + &"abcdefghijklmnopqrstuvwxy/".repeat(38_000) + "f";
    let data = tar_of(&[
        pax(&[("path", path.as_bytes())]),
        raw(b"x", b'0', b"", b"", 0),
    ]);
    let started = std::time::Instant::now();
    let message = fails("long_pax", &deb_with(CONTROL, "data.tar", &data));
    assert!(
        message.ends_with(": a path of 988001 bytes, longer than Linux allows (4094 below /)"),
        "{message}"
    );
    assert!(message.len() < 400, "the path is shortened in the message");
    // Not a timing assertion on the tool: a guard against the test itself hanging.
    assert!(started.elapsed().as_secs() < 60);
}

#[test]
fn every_output_or_none() {
    let good = deb(&[file("./etc/x", b"x")]);
    // --digests-out cannot be written: the layer must not be left either.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("p.deb"), &good).expect("write");
    let out = Command::new(debimage())
        .args(["layer", "--deb", "p.deb", "--out", "layer.tgz"])
        .args([
            "--digests-out",
            "missing/digests.json",
            "--listing-out",
            "l.txt",
        ])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(left, ["p.deb"], "nothing but the input");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("debimage: error: cannot create a temporary file in missing"),
        "{stderr}"
    );
    // --out is a directory: a clear error, and no temporary file beside it.
    std::fs::create_dir(dir.path().join("out")).expect("mkdir");
    let out = Command::new(debimage())
        .args([
            "layer",
            "--deb",
            "p.deb",
            "--out",
            "out",
            "--digests-out",
            "d.json",
        ])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "debimage: error: cannot write out: it is a directory\n"
    );
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["out", "p.deb"]);
    assert_eq!(
        std::fs::read_dir(dir.path().join("out"))
            .expect("dir")
            .count(),
        0
    );
}

#[test]
fn symlinks_escaping_through_earlier_links_are_refused() {
    let link = |name, target| Raw {
        name,
        typeflag: b'2',
        data: b"",
        link: target,
    };
    assert_eq!(
        fails("link_chain", &deb(&[link("./a", "."), link("./b", "a/..")])),
        "data.tar: b: symlink target a/.. climbs out of the image root once the links on its way are followed"
    );
}

#[test]
fn packages_cannot_forge_scanner_metadata() {
    let forged = file(
        "./var/lib/dpkg/status.d/openssl",
        b"Package: openssl\nVersion: 99.0\n",
    );
    assert_eq!(
        fails("status_d", &deb(&[forged])),
        "data.tar: var/lib/dpkg/status.d/openssl: a package may not ship a regular file in \
         dpkg's database (/var/lib/dpkg): it would forge what scanners read (--status writes \
         the package's entry)"
    );
    let data = tar(&[file("./etc/x", b"x")]);
    let control = format!("{CONTROL}Status: purge ok not-installed\n");
    assert_eq!(
        fails("status_field", &deb_with(&control, "data.tar", &data)),
        "package \"hostile\": control file has a Status field, which only dpkg's database has"
    );
    let control = "Package: hostile\nVersion: 99.0 (security fix)\nArchitecture: all\n";
    assert_eq!(
        fails("version", &deb_with(control, "data.tar", &data)),
        "control file: Version \"99.0 (security fix)\" is not a Debian version ([epoch:]upstream[-revision])"
    );
}

#[test]
fn globs_do_not_backtrack_exponentially() {
    let name = format!("./usr/{}", "a".repeat(60));
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("p.deb"), deb(&[file(&name, b"x")])).expect("write");
    let out = Command::new(debimage())
        .args([
            "layer",
            "--deb",
            "p.deb",
            "--exclude",
            "**/*a*a*a*a*a*a*a*a*a*b",
        ])
        .args(["--out", "l.tgz", "--listing-out", "l.txt"])
        .current_dir(dir.path())
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = std::fs::read_to_string(dir.path().join("l.txt")).expect("listing");
    assert!(listing.contains(&name[1..]), "kept: no b in the name");
}

#[test]
fn names_ids_and_links_that_would_change_or_not_extract() {
    let non_utf8 = tar_of(&[raw(b"./etc/caf\xe9", b'0', b"x", b"", 0)]);
    assert_eq!(
        fails("non_utf8", &deb_with(CONTROL, "data.tar", &non_utf8)),
        "data.tar: ./etc/caf\\xe9: name is not UTF-8"
    );
    assert_eq!(
        fails(
            "newline",
            &deb(&[file("./etc/x\n/etc/shadow f 0644 0:0 1", b"")])
        ),
        "data.tar: ./etc/x\\n/etc/shadow f 0644 0:0 1: path contains a control character"
    );
    // An ANSI escape sequence in a name is printed escaped, never raw.
    let message = fails("ansi", &deb(&[file("./etc/\u{1b}[2Jx", b"")]));
    assert_eq!(
        message,
        "data.tar: ./etc/\\u{1b}[2Jx: path contains a control character"
    );
    let big_uid = tar_of(&[
        pax(&[("uid", b"18446744073709551615")]),
        raw(b"./etc/x", b'0', b"", b"", 0),
    ]);
    assert_eq!(
        fails("uid", &deb_with(CONTROL, "data.tar", &big_uid)),
        "data.tar: etc/x: uid 18446744073709551615 is beyond Linux's 32-bit ids (at most 4294967294)"
    );
    let long_name = format!("./etc/{}", "n".repeat(256));
    let long = tar_of(&[
        pax(&[("path", long_name.as_bytes())]),
        raw(b"x", b'0', b"", b"", 0),
    ]);
    let message = fails("long_name", &deb_with(CONTROL, "data.tar", &long));
    assert!(
        message.ends_with(": a name of 256 bytes, longer than Linux allows (255)"),
        "{message}"
    );
    let target = "t".repeat(4096);
    let long_link = tar_of(&[
        pax(&[("linkpath", target.as_bytes())]),
        raw(b"./etc/l", b'2', b"", b"x", 0),
    ]);
    assert_eq!(
        fails("long_link", &deb_with(CONTROL, "data.tar", &long_link)),
        "data.tar: etc/l: link target of 4096 bytes, longer than Linux allows (4095)"
    );
    let name = "merged.deb";
    let bin_file = deb(&[file("./bin", b"#!/bin/sh\n")]);
    assert_eq!(
        layer_fails(&["--merged-usr", "--deb", name], &[(name, &bin_file)]),
        "merged.deb: data.tar: bin: merged-/usr makes /bin a symlink to usr/bin, but the package \
         ships a regular file there"
    );
}

#[test]
fn streams_are_read_to_their_end() {
    use std::io::Write;
    let data = tar(&[file("./etc/x", &[7u8; 4096])]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).expect("gzip");
    let gz = gz.finish().expect("gzip");
    let n = gz.len();
    let mut bad_crc = gz.clone();
    bad_crc[n - 8] ^= 1;
    let message = fails("gzip_crc", &deb_with(CONTROL, "data.tar.gz", &bad_crc));
    assert!(message.starts_with("data.tar.gz: "), "{message}");
    let mut bad_size = gz.clone();
    bad_size[n - 1] ^= 1;
    let message = fails("gzip_isize", &deb_with(CONTROL, "data.tar.gz", &bad_size));
    assert!(message.starts_with("data.tar.gz: "), "{message}");

    let mut xz = xz2::write::XzEncoder::new(Vec::new(), 6);
    xz.write_all(&data).expect("xz");
    let mut xz = xz.finish().expect("xz");
    // The index sits before the 12-byte stream footer.
    let n = xz.len();
    xz[n - 14] ^= 0x10;
    let message = fails("xz_index", &deb_with(CONTROL, "data.tar.xz", &xz));
    assert!(message.starts_with("data.tar.xz: "), "{message}");

    let control_tar = tar(&[file("./control", CONTROL.as_bytes())]);
    let truncated = &control_tar[..control_tar.len() - 1024];
    let bytes = ar(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar", truncated),
        ("data.tar", &data),
    ]);
    assert_eq!(
        fails("truncated_control", &bytes),
        "control.tar: the archive ends without an end-of-archive marker (truncated?)"
    );

    let mut trailing = deb(&[file("./etc/x", b"x")]);
    trailing.extend(b"garbage after the last member, not an ar header at all!!!!!!!!");
    assert_eq!(
        fails("trailing_garbage", &trailing),
        "ar: corrupt member header (bad terminator)"
    );
    let extra = ar(&[
        ("debian-binary", b"2.0\n"),
        ("control.tar", &control_tar),
        ("data.tar", &data),
        ("evil.tar", b"x"),
    ]);
    assert_eq!(
        fails("extra_member", &extra),
        "unexpected member \"evil.tar\" after data.tar"
    );
    let mut garbage_in_member = data.clone();
    garbage_in_member.extend(b"hidden");
    assert_eq!(
        fails(
            "garbage_in_member",
            &deb_with(CONTROL, "data.tar", &garbage_in_member)
        ),
        "data.tar: data after the end-of-archive marker (at byte 5632)"
    );
    // A member that claims more bytes than the file has.
    let mut past_eof = deb(&[file("./etc/x", b"x")]);
    let n = past_eof.len();
    past_eof.truncate(n - 512);
    let message = fails("member_past_eof_at_end", &past_eof);
    assert!(
        message.contains("runs past the end of the archive"),
        "{message}"
    );
}

/// Ended by a signal while its outputs are staged (blocked opening a FIFO nobody reads, after
/// `--out` and `--digests-out` went to temporary files), the tool removes them and ends by the
/// same signal.
#[test]
fn signals_leave_no_temporary_files() {
    use std::os::unix::process::ExitStatusExt;
    let good = deb(&[file("./etc/x", b"x")]);
    for (name, number) in [("TERM", 15), ("INT", 2), ("HUP", 1)] {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("p.deb"), &good).expect("write");
        let fifo = dir.path().join("l.fifo");
        assert!(Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo")
            .success());
        let mut child = Command::new(debimage())
            .args(["layer", "--deb", "p.deb", "--out", "layer.tgz"])
            .args(["--digests-out", "d.json", "--listing-out", "l.fifo"])
            .current_dir(dir.path())
            .spawn()
            .expect("run");
        let staged = || {
            std::fs::read_dir(dir.path())
                .expect("dir")
                .filter(|e| {
                    let name = e.as_ref().expect("entry").file_name();
                    name.to_string_lossy().starts_with(".debimage-")
                })
                .count()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while staged() < 2 {
            assert!(
                std::time::Instant::now() < deadline,
                "SIG{name}: no output was staged"
            );
            assert!(
                child.try_wait().expect("wait").is_none(),
                "SIG{name}: it ended early"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        // The shell's kill: not every system has a kill binary.
        assert!(Command::new("sh")
            .args(["-c", &format!("kill -s {name} {}", child.id())])
            .status()
            .expect("kill")
            .success());
        let status = child.wait().expect("wait");
        assert_eq!(status.signal(), Some(number), "SIG{name}: {status}");
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            ["l.fifo", "p.deb"],
            "SIG{name}: only the inputs are left"
        );
    }
}
