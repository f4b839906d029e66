//! Our resolver against apt, on the same signed bookworm amd64 indexes: for several root sets
//! the closure (names and versions) must equal what `apt-get install -s
//! --no-install-recommends` would install into an empty system. And our lock of flat
//! repositories against the URLs apt downloads from them. Needs the network and apt, so
//! it is not part of `bazel test`; `tools/test` runs it (`cargo test -- --ignored`).

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use debimage_lock::lockfile::Lockfile;
use debimage_lock::packages::{self, Package};
use debimage_lock::resolve::{resolve, Index};
use support::{DEBIAN, SECURITY};

const SUITES: [(&str, &str); 3] = [
    (DEBIAN, "bookworm"),
    (DEBIAN, "bookworm-updates"),
    (SECURITY, "bookworm-security"),
];

#[test]
#[ignore = "needs the network and apt-get; run by tools/test"]
fn closures_match_apt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let lists = dir.path().join("lists");
    std::fs::create_dir_all(lists.join("partial")).expect("mkdir");
    let mut texts = Vec::new();
    let mut sources = String::new();
    for (base, suite) in SUITES {
        let xz = support::packages_xz(base, suite, "amd64");
        let text = packages::decompress(&xz, packages::Compression::Xz, suite).expect("xz");
        // apt's list file name for this source.
        let host_path = base.trim_start_matches("https://").replace('/', "_");
        std::fs::write(
            lists.join(format!(
                "{host_path}_dists_{suite}_main_binary-amd64_Packages"
            )),
            &text,
        )
        .expect("write list");
        sources.push_str(&format!(
            "deb [trusted=yes arch=amd64] {} {suite} main\n",
            base.replace("https://", "http://")
        ));
        texts.push((suite, base, text));
    }
    std::fs::write(dir.path().join("sources.list"), sources).expect("sources");
    std::fs::write(dir.path().join("status"), "").expect("status");
    std::fs::create_dir_all(dir.path().join("cache/archives/partial")).expect("mkdir");

    let parsed: Vec<(&str, &str, Vec<Package>)> = texts
        .iter()
        .map(|(s, b, t)| (*s, *b, packages::parse(t, s).expect("parse")))
        .collect();
    let mut index = Index::new("amd64");
    for (suite, base, packages) in &parsed {
        index.add(packages, suite, base).expect("index");
    }

    let d = dir.path().display();
    for roots in [
        vec!["libstdc++6"],
        vec!["libc6", "libssl3"],
        vec![
            "libc6",
            "libssl3",
            "libgomp1",
            "libstdc++6",
            "libgcc-s1",
            "gcc-12-base",
        ],
        vec!["python3.11-minimal", "libpython3.11-stdlib"],
        vec!["openjdk-17-jre-headless"],
    ] {
        let requests: Vec<String> = roots.iter().map(|s| s.to_string()).collect();
        let ours: BTreeSet<String> = resolve(&index, &requests, true)
            .expect("resolve")
            .values()
            .map(|s| {
                format!(
                    "{} {}",
                    s.candidate.package.name, s.candidate.package.version
                )
            })
            .collect();
        let out = Command::new("apt-get")
            .args([
                &format!("-oDir::State::Lists={d}/lists"),
                &format!("-oDir::State::status={d}/status"),
                &format!("-oDir::Cache={d}/cache"),
                &format!("-oDir::Etc::SourceList={d}/sources.list"),
                "-oDir::Etc::SourceParts=/dev/null",
                "-oDir::Etc::Preferences=/dev/null",
                "-oDir::Etc::PreferencesParts=/dev/null",
                "-oAPT::Architecture=amd64",
                "-oDebug::NoLocking=1",
                "install",
                "-s",
                "--no-install-recommends",
            ])
            .args(&roots)
            .output()
            .expect("run apt-get");
        assert!(
            out.status.success(),
            "apt-get: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let apt: BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("Inst "))
            .map(|l| {
                let mut f = l.split_whitespace();
                format!(
                    "{} {}",
                    f.next().unwrap_or_default(),
                    f.next().unwrap_or_default().trim_start_matches('(')
                )
            })
            .collect();
        assert!(!apt.is_empty(), "apt installed nothing for {roots:?}");
        assert_eq!(ours, apt, "closure of {roots:?}");
        println!("{roots:?}: {} packages, same as apt", ours.len());
    }
}

/// The URLs and sums our lock of the flat test archives (`testdata/repos/flat`: `./` with an
/// InRelease, `vendor/stable/` with Release.gpg) has for amd64 and arm64 are those apt-get
/// downloads, with the archives served on 127.0.0.1 and signed-by the test key.
#[test]
#[ignore = "needs apt-get; run by tools/test"]
fn flat_repository_urls_match_apt() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/repos");
    let server = support::http::Server::start(&root.join("flat"), None);
    let keyring = root.join("keyring.asc");
    for suite in ["./", "vendor/stable/"] {
        for arch in ["amd64", "arm64"] {
            let dir = tempfile::tempdir().expect("tempdir");
            let d = dir.path();
            // Our lock.
            let manifest = d.join("flat.json");
            std::fs::write(
                &manifest,
                format!(
                    r#"{{"distribution": "flat", "sources": [{{"url": "{}", "suites": ["{suite}"]}}],
  "architectures": ["{arch}"], "keyring": "{}",
  "sets": {{"base": {{"packages": ["libc6", "netbase"], "follow_dependencies": true}}}}}}"#,
                    server.url,
                    keyring.display()
                ),
            )
            .expect("manifest");
            let out = Command::new(env!("CARGO_BIN_EXE_debimage-lock"))
                .arg(&manifest)
                .arg("--cache-dir")
                .arg(d.join("cache"))
                .env_remove("BUILD_WORKSPACE_DIRECTORY")
                .env_remove("NETRC")
                .output()
                .expect("run debimage-lock");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let lock = std::fs::read(d.join("flat.lock.json")).expect("lockfile");
            let lock = Lockfile::from_bytes(&lock, "flat.lock.json").expect("lockfile parses");
            let ours: BTreeSet<String> = lock
                .packages
                .iter()
                .map(|p| format!("{} {}", p.urls[0], p.sha256))
                .collect();
            // apt's.
            for sub in ["lists/partial", "cache/archives/partial"] {
                std::fs::create_dir_all(d.join(sub)).expect("mkdir");
            }
            std::fs::write(d.join("status"), "").expect("status");
            std::fs::write(
                d.join("sources.list"),
                format!(
                    "deb [signed-by={} arch={arch}] {} {suite}\n",
                    keyring.display(),
                    server.url
                ),
            )
            .expect("sources.list");
            let dd = d.display();
            let apt = |args: &[&str]| {
                let out = Command::new("apt-get")
                    .args([
                        &format!("-oDir::State::Lists={dd}/lists"),
                        &format!("-oDir::State::status={dd}/status"),
                        &format!("-oDir::Cache={dd}/cache"),
                        &format!("-oDir::Etc::SourceList={dd}/sources.list"),
                        "-oDir::Etc::SourceParts=/dev/null",
                        "-oDir::Etc::Preferences=/dev/null",
                        "-oDir::Etc::PreferencesParts=/dev/null",
                        &format!("-oAPT::Architecture={arch}"),
                        "-oAPT::Architectures=",
                        "-oDebug::NoLocking=1",
                        "-oAPT::Sandbox::User=root",
                    ])
                    .args(args)
                    .current_dir(d)
                    .output()
                    .expect("run apt-get");
                let stderr = String::from_utf8_lossy(&out.stderr);
                assert!(
                    out.status.success() && !stderr.contains("E: "),
                    "apt-get {args:?}: {stderr}"
                );
                String::from_utf8_lossy(&out.stdout).into_owned()
            };
            apt(&["update"]);
            let names: Vec<&str> = lock.packages.iter().map(|p| p.name.as_str()).collect();
            let mut args = vec!["download", "--print-uris"];
            args.extend(&names);
            // 'URL' file size SHA256:sum; apt escapes + as %2b and keeps the ./ of a `./`
            // suite's Filename (the same URL once dot segments are removed, RFC 3986 5.2.4:
            // our lockfiles hold no . segments).
            let theirs: BTreeSet<String> = apt(&args)
                .lines()
                .filter_map(|l| {
                    let mut f = l.split_whitespace();
                    let url = f
                        .next()?
                        .trim_matches('\'')
                        .replace("%2b", "+")
                        .replace("/./", "/");
                    let sum = f.nth(2)?.strip_prefix("SHA256:")?.to_string();
                    Some(format!("{url} {sum}"))
                })
                .collect();
            assert_eq!(ours.len(), 4, "{suite} {arch}: {ours:?}");
            assert_eq!(ours, theirs, "{suite} {arch}");
            println!("{suite} {arch}: {} URLs, as apt's", ours.len());
        }
    }
}
