//! The lock tool against archives of real Debian index paragraphs, signed by a test key and
//! served on 127.0.0.1 (`testdata/repos/generate`): `Packages` indexes in every form a Release
//! may list them, flat repositories, per-source architectures, sets pinned to a suite, and
//! sources that require basic authentication (credentials from a netrc file).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use debimage_lock::lockfile::Lockfile;
use debimage_lock::packages;
use support::http::Server;

fn testdata() -> PathBuf {
    std::env::var_os("REPOS_TESTDATA").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/repos"),
        PathBuf::from,
    )
}

fn lock_tool() -> PathBuf {
    std::env::var_os("DEBIMAGE_LOCK").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_debimage-lock")),
        PathBuf::from,
    )
}

/// A manifest of `sources` (JSON) and `sets` (JSON), amd64 unless `architectures` says
/// otherwise, keyed to the test key.
fn manifest(sources: &str, architectures: &str, sets: &str) -> String {
    let keyring = std::path::absolute(testdata().join("keyring.asc")).expect("absolute path");
    format!(
        r#"{{
  "distribution": "test",
  "sources": {sources},
  "architectures": {architectures},
  "keyring": "{}",
  "sets": {sets}
}}
"#,
        keyring.display()
    )
}

const BASE_SETS: &str = r#"{"base": {"packages": ["libc6"], "follow_dependencies": true},
  "net": {"packages": ["netbase"], "follow_dependencies": false}}"#;

/// Runs the lock tool on `manifest` in `dir` with a cache of its own and `env` added.
fn lock(dir: &Path, manifest: &str, env: &[(&str, &Path)]) -> Output {
    let path = dir.join("test.json");
    std::fs::write(&path, manifest).expect("write manifest");
    // Each run starts without a lockfile, so that `refused` can tell none was written.
    let _ = std::fs::remove_file(dir.join("test.lock.json"));
    let mut command = Command::new(lock_tool());
    command
        .arg(&path)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .env_remove("BUILD_WORKSPACE_DIRECTORY")
        // No netrc unless a test gives one.
        .env_remove("NETRC")
        .env("HOME", dir);
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("run debimage-lock")
}

/// The lockfile written in `dir`, after a run that must have succeeded.
fn locked(dir: &Path, out: &Output) -> Lockfile {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let path = dir.join("test.lock.json");
    let bytes = std::fs::read(&path).expect("lockfile");
    Lockfile::from_bytes(&bytes, &path.display().to_string()).expect("lockfile parses")
}

/// A run that must have failed with `message` and written no lockfile.
fn refused(dir: &Path, out: &Output, message: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(message), "{message}\nnot in\n{stderr}");
    assert!(
        !dir.join("test.lock.json").exists(),
        "a lockfile was written"
    );
}

fn source(url: &str, suite: &str) -> String {
    format!(r#"[{{"url": "{url}", "suites": ["{suite}"], "components": ["main"]}}]"#)
}

/// The text of a Packages index file (`Packages`, `.xz` or `.gz`).
fn index_text(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let compression = match path.extension().and_then(|e| e.to_str()) {
        Some("xz") => packages::Compression::Xz,
        Some("gz") => packages::Compression::Gzip,
        _ => packages::Compression::None,
    };
    packages::decompress(&bytes, compression, "test").expect("decompress")
}

/// (name, version, sha256, size, filename) of the paragraphs of a Packages index file whose
/// name `keep` accepts.
fn paragraphs_where(
    path: &Path,
    keep: impl Fn(&str) -> bool,
) -> Vec<(String, String, String, u64, String)> {
    let text = index_text(path);
    let mut all: Vec<_> = packages::parse(&text, "test")
        .expect("index parses")
        .iter()
        .filter(|p| keep(p.name))
        .map(|p| {
            (
                p.name.to_string(),
                p.version.to_string(),
                p.sha256.to_string(),
                p.size,
                p.filename.to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

fn paragraphs(path: &Path) -> Vec<(String, String, String, u64, String)> {
    paragraphs_where(path, |_| true)
}

fn entries(lock: &Lockfile, base: &str) -> Vec<(String, String, String, u64, String)> {
    let mut all: Vec<_> = lock
        .packages
        .iter()
        .map(|p| {
            assert_eq!(p.urls.len(), 1, "{:?}", p.urls);
            let filename = p.urls[0]
                .strip_prefix(&format!("{base}/"))
                .unwrap_or_else(|| panic!("{} is not under {base}", p.urls[0]));
            (
                p.name.clone(),
                p.version.clone(),
                p.sha256.clone(),
                p.size,
                filename.to_string(),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn every_form_of_packages_index_locks() {
    let root = testdata().join("forms");
    let server = Server::start(&root, None);
    let expected = paragraphs(&root.join("dists/all/main/binary-amd64/Packages"));
    assert_eq!(expected.len(), 4, "{expected:?}");
    for (suite, served) in [
        ("all", "Packages.xz"),
        ("xz", "Packages.xz"),
        ("bz2", "Packages.bz2"),
        ("gz", "Packages.gz"),
        ("plain", "Packages"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let before = server.requests().len();
        let out = lock(
            dir.path(),
            &manifest(&source(&server.url, suite), r#"["amd64"]"#, BASE_SETS),
            &[],
        );
        let lock = locked(dir.path(), &out);
        assert_eq!(entries(&lock, &server.url), expected, "{suite}");
        assert!(lock.packages.iter().all(|p| p.suite == suite), "{suite}");
        // Only the best listed form is downloaded.
        let requests = server.requests()[before..].to_vec();
        assert_eq!(
            requests,
            [
                format!("200 /dists/{suite}/InRelease"),
                format!("200 /dists/{suite}/main/binary-amd64/{served}"),
            ],
            "{suite}"
        );
    }
}

#[test]
fn an_index_not_served_falls_back_to_the_next_listed_form() {
    let root = testdata().join("forms");
    let server = Server::start(&root, None);
    let dir = tempfile::tempdir().expect("tempdir");
    let out = lock(
        dir.path(),
        &manifest(
            &source(&server.url, "xz-missing"),
            r#"["amd64"]"#,
            BASE_SETS,
        ),
        &[],
    );
    let lock = locked(dir.path(), &out);
    assert_eq!(
        entries(&lock, &server.url),
        paragraphs(&root.join("dists/all/main/binary-amd64/Packages"))
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("main/binary-amd64/Packages.xz: download failed: ")
            && stderr.contains("trying the next form"),
        "{stderr}"
    );
    let requests = server.requests();
    assert!(
        requests.contains(&"404 /dists/xz-missing/main/binary-amd64/Packages.xz".to_string())
            && requests
                .contains(&"200 /dists/xz-missing/main/binary-amd64/Packages.gz".to_string()),
        "{requests:?}"
    );
}

#[test]
fn an_index_that_is_not_the_signed_one_or_none_listed_is_refused() {
    let server = Server::start(&testdata().join("forms"), None);
    for (suite, message) in [
        (
            "gz-swapped",
            "gz-swapped main amd64: no listed form of the index could be downloaded: \
             main/binary-amd64/Packages.gz: no URL served sha256 ",
        ),
        (
            "no-index",
            "/dists/no-index/InRelease lists no Packages index for main/binary-amd64 (none of \
             Packages.xz, Packages.bz2, Packages.gz, Packages)",
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = lock(
            dir.path(),
            &manifest(&source(&server.url, suite), r#"["amd64"]"#, BASE_SETS),
            &[],
        );
        refused(dir.path(), &out, message);
    }
}

/// The entries of `lock` for `arch`: (name, arch, version, sha256, size, URL).
fn arch_entries(lock: &Lockfile, arch: &str) -> Vec<(String, String, String, String, u64, String)> {
    let mut all: Vec<_> = lock
        .packages
        .iter()
        .filter(|p| p.for_arch == arch)
        .map(|p| {
            (
                p.name.clone(),
                p.arch.clone(),
                p.version.clone(),
                p.sha256.clone(),
                p.size,
                p.urls.join(" "),
            )
        })
        .collect();
    all.sort();
    all
}

/// What a flat index lists for `arch`, with the URL apt would download each from: the
/// archive root joined with the Filename (a leading `./` dropped).
fn flat_expected(
    index: &Path,
    root_url: &str,
    arch: &str,
) -> Vec<(String, String, String, String, u64, String)> {
    let text = index_text(index);
    let mut all: Vec<_> = packages::parse(&text, "test")
        .expect("parse")
        .iter()
        .filter(|p| p.architecture == arch || p.architecture == "all")
        .map(|p| {
            let filename = p.filename.strip_prefix("./").unwrap_or(p.filename);
            (
                p.name.to_string(),
                p.architecture.to_string(),
                p.version.to_string(),
                p.sha256.to_string(),
                p.size,
                format!("{root_url}/{filename}"),
            )
        })
        .collect();
    all.sort();
    all
}

#[test]
fn flat_repositories_lock_with_filenames_relative_to_the_archive_root() {
    let root = testdata().join("flat");
    let server = Server::start(&root, None);
    for (suite, index, signed_by) in [
        ("./", "Packages.gz", "InRelease"),
        ("vendor/stable/", "vendor/stable/Packages.xz", "Release"),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let sources = format!(r#"[{{"url": "{}", "suites": ["{suite}"]}}]"#, server.url);
        let out = lock(
            dir.path(),
            &manifest(&sources, r#"["amd64", "arm64"]"#, BASE_SETS),
            &[],
        );
        let lock = locked(dir.path(), &out);
        for arch in ["amd64", "arm64"] {
            let expected = flat_expected(&root.join(index), &server.url, arch);
            assert_eq!(expected.len(), 4, "{suite} {arch}: {expected:?}");
            assert_eq!(arch_entries(&lock, arch), expected, "{suite} {arch}");
        }
        assert!(lock.packages.iter().all(|p| p.suite == suite), "{suite}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("{signed_by} of 2024-01-01 00:00:00 UTC verified")),
            "{stderr}"
        );
    }
}

#[test]
fn a_flat_release_changed_after_signing_or_a_flat_suite_with_components_is_refused() {
    let server = Server::start(&testdata().join("flat"), None);
    let keyring = std::path::absolute(testdata().join("keyring.asc")).expect("absolute");
    for (source, message) in [
        (
            r#""suites": ["tampered/"]"#,
            format!(
                "{}/tampered/Release: no good signature by a key of {}",
                server.url,
                keyring.display()
            ),
        ),
        (
            r#""suites": ["./"], "components": ["main"]"#,
            format!(
                "sources ({}): suite ./ is a flat repository's directory: it takes no components",
                server.url
            ),
        ),
        (
            r#""suites": ["../"]"#,
            "bad suite \"../\": a suite is letters".to_string(),
        ),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let sources = format!(r#"[{{"url": "{}", {source}}}]"#, server.url);
        let out = lock(dir.path(), &manifest_with(&sources), &[]);
        refused(dir.path(), &out, &message);
    }
}

/// (name, version, suite) of `lock`'s entries for `arch` in `set`.
fn set_entries(lock: &Lockfile, set: &str, arch: &str) -> Vec<String> {
    let mut all: Vec<String> = lock
        .packages
        .iter()
        .filter(|p| p.for_arch == arch && p.sets.iter().any(|s| s == set))
        .map(|p| format!("{} {} {}", p.name, p.version, p.suite))
        .collect();
    all.sort();
    all
}

/// The version of `name` in the amd64 index of `suite` of testdata/repos/multi.
fn multi_version(suite: &str, name: &str) -> String {
    let dir = testdata().join(format!("multi/dists/{suite}/main/binary-amd64"));
    let path = ["Packages.xz", "Packages.gz"]
        .map(|f| dir.join(f))
        .into_iter()
        .find(|p| p.exists())
        .expect("Packages.xz or .gz");
    let text = index_text(&path);
    let packages = packages::parse(&text, "test").expect("parse");
    let found = packages.iter().find(|p| p.name == name);
    found.map(|p| p.version.to_string()).expect("listed")
}

#[test]
fn a_source_is_looked_up_only_for_its_architectures() {
    let server = Server::start(&testdata().join("multi"), None);
    let sources = |vendor_architectures: &str| {
        format!(
            r#"[{{"url": "{0}", "suites": ["bookworm"], "components": ["main"]}},
  {{"url": "{0}", "suites": ["vendor"], "components": ["main"]{vendor_architectures}}}]"#,
            server.url
        )
    };
    let both = r#"["amd64", "arm64"]"#;
    let dir = tempfile::tempdir().expect("tempdir");
    // The vendor suite has no arm64 index (and its Release does not say so).
    let out = lock(dir.path(), &manifest(&sources(""), both, BASE_SETS), &[]);
    refused(dir.path(), &out, "vendor main arm64: ");
    refused(
        dir.path(),
        &out,
        "/dists/vendor/InRelease lists no Packages index for main/binary-arm64",
    );
    // With "architectures": ["amd64"], it is not looked up for arm64.
    let amd64_only = r#", "architectures": ["amd64"]"#;
    let sets = r#"{"base": {"packages": ["libc6"], "follow_dependencies": true},
      "zlib": {"packages": ["zlib1g"], "follow_dependencies": true}}"#;
    let before = server.requests().len();
    let out = lock(
        dir.path(),
        &manifest(&sources(amd64_only), r#"["amd64"]"#, sets),
        &[],
    );
    let lock_amd64 = locked(dir.path(), &out);
    assert_eq!(
        set_entries(&lock_amd64, "zlib", "amd64"),
        [
            "gcc-12-base 12.2.0-14+deb12u1 bookworm",
            "libc6 2.36-9+deb12u14 bookworm",
            "libgcc-s1 12.2.0-14+deb12u1 bookworm",
            format!("zlib1g {} vendor", multi_version("vendor", "zlib1g")).as_str(),
        ]
    );
    let out = lock(
        dir.path(),
        &manifest(&sources(amd64_only), both, BASE_SETS),
        &[],
    );
    let both_locked = locked(dir.path(), &out);
    for arch in ["amd64", "arm64"] {
        assert_eq!(set_entries(&both_locked, "base", arch).len(), 3, "{arch}");
    }
    let requests = server.requests()[before..].to_vec();
    assert!(
        !requests
            .iter()
            .any(|r| r.contains("vendor/main/binary-arm64")),
        "{requests:?}"
    );
    // A set that needs the vendor's package cannot be locked for arm64: the error says why.
    let out = lock(dir.path(), &manifest(&sources(amd64_only), both, sets), &[]);
    refused(
        dir.path(),
        &out,
        &format!(
            "set zlib for arm64 (not looked up for arm64: {} vendor (architectures: amd64)): \
             cannot resolve zlib1g: requested; candidates: none",
            server.url
        ),
    );
    // Only the manifest's architectures.
    let out = lock(
        dir.path(),
        &manifest(&sources(r#", "architectures": ["s390x"]"#), both, BASE_SETS),
        &[],
    );
    refused(
        dir.path(),
        &out,
        &format!(
            "sources ({}): architectures: s390x is not one of the manifest's architectures \
             (amd64, arm64)",
            server.url
        ),
    );
}

#[test]
fn a_set_pinned_to_backports_takes_its_packages_from_there() {
    let server = Server::start(&testdata().join("multi"), None);
    let sources = format!(
        r#"[{{"url": "{}", "suites": ["bookworm", "bookworm-backports"], "components": ["main"]}}]"#,
        server.url
    );
    let bpo = |name| multi_version("bookworm-backports", name);
    let stable = |name| multi_version("bookworm", name);
    assert!(bpo("libss2") != stable("libss2") && bpo("libcom-err2") != stable("libcom-err2"));
    let dir = tempfile::tempdir().expect("tempdir");
    // Backports' Release is NotAutomatic: a set that is not pinned does not take its newer
    // libss2; a set pinned to it takes libss2 and libcom-err2 from it, libc6 (which backports
    // lacks) from bookworm.
    for (pin, suite) in [
        ("", "bookworm"),
        (r#", "suite": "bookworm-backports""#, "bookworm-backports"),
    ] {
        let sets = format!(
            r#"{{"base": {{"packages": ["libc6"], "follow_dependencies": true}},
          "ss": {{"packages": ["libss2"], "follow_dependencies": true{pin}}}}}"#
        );
        let out = lock(dir.path(), &manifest(&sources, r#"["amd64"]"#, &sets), &[]);
        let lock = locked(dir.path(), &out);
        let version = |name| multi_version(suite, name);
        assert_eq!(
            set_entries(&lock, "ss", "amd64"),
            [
                "gcc-12-base 12.2.0-14+deb12u1 bookworm".to_string(),
                format!("libc6 {} bookworm", stable("libc6")),
                format!("libcom-err2 {} {suite}", version("libcom-err2")),
                "libgcc-s1 12.2.0-14+deb12u1 bookworm".to_string(),
                format!("libss2 {} {suite}", version("libss2")),
            ],
            "{pin}"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("bookworm-backports: NotAutomatic: its packages are taken only by sets pinned to it"),
            "{stderr}"
        );
    }
    for (sets, message) in [
        // A pinned set's request must be in the pinned suite.
        (
            r#"{"net": {"packages": ["netbase"], "follow_dependencies": false, "suite": "bookworm-backports"}}"#
                .to_string(),
            "set net for amd64: cannot resolve netbase: requested from bookworm-backports, which \
             has no fitting version; candidates: netbase 6.4 (bookworm)"
                .to_string(),
        ),
        // Two sets cannot lock two versions of one package.
        (
            r#"{"ss": {"packages": ["libss2"], "follow_dependencies": true},
              "ss-bpo": {"packages": ["libss2"], "follow_dependencies": true, "suite": "bookworm-backports"}}"#
                .to_string(),
            format!(
                "libcom-err2 for amd64: set ss-bpo resolves {}, but set(s) ss resolved {}; one \
                 version per architecture can be locked",
                bpo("libcom-err2"),
                stable("libcom-err2")
            ),
        ),
        // Only a suite of the sources.
        (
            r#"{"ss": {"packages": ["libss2"], "follow_dependencies": true, "suite": "trixie"}}"#
                .to_string(),
            "sets.ss.suite: trixie is not a suite of the sources (bookworm, bookworm-backports)"
                .to_string(),
        ),
    ] {
        let out = lock(dir.path(), &manifest(&sources, r#"["amd64"]"#, &sets), &[]);
        refused(dir.path(), &out, &message);
    }
}

#[test]
fn an_authenticated_source_takes_its_credentials_from_netrc_only() {
    const LOGIN: &str = "locker";
    const PASSWORD: &str = "s3cret-Pa55";
    let server = Server::start(
        &testdata().join("multi"),
        Some(&format!("{LOGIN}:{PASSWORD}")),
    );
    let host = server
        .url
        .strip_prefix("http://")
        .and_then(|h| h.split(':').next())
        .expect("host");
    let manifest = manifest(&source(&server.url, "bookworm"), r#"["amd64"]"#, BASE_SETS);
    let dir = tempfile::tempdir().expect("tempdir");
    let netrc = |name: &str, password: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!("machine {host}\n  login {LOGIN}\n  password {password}\n"),
        )
        .expect("write netrc");
        path
    };
    // Without credentials, and with a wrong password: the server's 401, the URL named.
    let wrong = netrc("wrong", "not-it");
    for env in [vec![], vec![("NETRC", wrong.as_path())]] {
        let out = lock(dir.path(), &manifest, &env);
        refused(
            dir.path(),
            &out,
            &format!("{}/dists/bookworm/InRelease: download failed: ", server.url),
        );
        refused(dir.path(), &out, "401");
    }
    // From $NETRC, from ~/.netrc (HOME is the test's directory) and from --netrc.
    let right = netrc("right", PASSWORD);
    let out = lock(dir.path(), &manifest, &[("NETRC", right.as_path())]);
    let by_env = locked(dir.path(), &out);
    std::fs::copy(&right, dir.path().join(".netrc")).expect("copy");
    let out = lock(dir.path(), &manifest, &[]);
    assert_eq!(locked(dir.path(), &out), by_env);
    std::fs::remove_file(dir.path().join(".netrc")).expect("remove");
    let path = dir.path().join("test.json");
    let out = Command::new(lock_tool())
        .arg(&path)
        .arg("--netrc")
        .arg(&right)
        .arg("--cache-dir")
        .arg(dir.path().join("cache"))
        .env_remove("NETRC")
        .env("HOME", dir.path())
        .output()
        .expect("run");
    assert_eq!(locked(dir.path(), &out), by_env);
    assert_eq!(
        entries(&by_env, &server.url),
        paragraphs_of_multi_bookworm(),
        "the lock is as an open archive's"
    );
    // The secret is nowhere in the lockfile or the tool's output.
    let text = std::fs::read_to_string(dir.path().join("test.lock.json")).expect("lockfile");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains(PASSWORD) && !text.contains(LOGIN), "{text}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
    let requests = server.requests();
    assert!(
        requests.iter().any(|r| r.starts_with("401 ")),
        "{requests:?}"
    );
    // Credentials in a manifest's URL are refused (they would reach the lockfile).
    let with_userinfo = server
        .url
        .replace("http://", &format!("http://{LOGIN}:{PASSWORD}@"));
    let out = lock(
        dir.path(),
        &manifest_with(&source(&with_userinfo, "bookworm")),
        &[],
    );
    refused(
        dir.path(),
        &out,
        "a URL has no user:password@ (use a netrc file or a credential helper)",
    );
}

/// `--check` of the manifest `lock` wrote in `dir`, its lockfile left in place.
fn check(dir: &Path) -> (Option<i32>, String) {
    let out = Command::new(lock_tool())
        .arg(dir.join("test.json"))
        .arg("--check")
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .env_remove("BUILD_WORKSPACE_DIRECTORY")
        .env_remove("NETRC")
        .env("HOME", dir)
        .output()
        .expect("run debimage-lock");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_check_on_the_inputs_of_an_earlier_up_to_date_check_is_not_resolved_again() {
    const SKIPPED: &str = "not resolved again";
    const RESOLVED: &str = "packages parsed";
    let server = Server::start(&testdata().join("forms"), None);
    let dir = tempfile::tempdir().expect("tempdir");
    let text = manifest(&source(&server.url, "xz"), r#"["amd64"]"#, BASE_SETS);
    locked(dir.path(), &lock(dir.path(), &text, &[]));
    let lockfile = dir.path().join("test.lock.json");
    let bytes = std::fs::read(&lockfile).expect("lockfile");

    // The first check resolves and records; the second, on the same inputs, does not resolve.
    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(RESOLVED) && !stderr.contains(SKIPPED),
        "{stderr}"
    );
    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains(SKIPPED) && !stderr.contains(RESOLVED),
        "{stderr}"
    );
    assert!(stderr.contains("test.lock.json is up to date"), "{stderr}");
    // It still downloaded and verified the InRelease.
    let requests = server.requests();
    assert_eq!(
        requests.last().map(String::as_str),
        Some("200 /dists/xz/InRelease"),
        "{requests:?}"
    );

    // An edited lockfile is other inputs: resolved again, and found stale.
    let mut edited = bytes.clone();
    edited.extend_from_slice(b"\n");
    std::fs::write(&lockfile, &edited).expect("edit lockfile");
    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains(RESOLVED), "{stderr}");
    std::fs::write(&lockfile, &bytes).expect("restore lockfile");
    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains(SKIPPED), "{stderr}");

    // So is an edited manifest: one set fewer.
    let fewer = text.replace(
        r#",
  "net": {"packages": ["netbase"], "follow_dependencies": false}"#,
        "",
    );
    assert_ne!(fewer, text);
    std::fs::write(dir.path().join("test.json"), &fewer).expect("edit manifest");
    let (code, stderr) = check(dir.path());
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains(RESOLVED) && !stderr.contains(SKIPPED),
        "{stderr}"
    );
}

fn manifest_with(sources: &str) -> String {
    manifest(sources, r#"["amd64"]"#, BASE_SETS)
}

/// What multi/dists/bookworm lists for amd64 and the base sets would lock: libc6's closure
/// and netbase.
fn paragraphs_of_multi_bookworm() -> Vec<(String, String, String, u64, String)> {
    paragraphs_where(
        &testdata().join("multi/dists/bookworm/main/binary-amd64/Packages.xz"),
        |name| !name.starts_with("libss") && !name.starts_with("libcom-err"),
    )
}
