//! Keeps `third_party/crates/remote/defs.bzl` (crates_vendor, remote mode) honest: every crate
//! Cargo.lock takes from crates.io must be declared there with the same version and checksum,
//! and nothing else. Run by `cargo test` and by Bazel (`//tools/vendor_check:vendor_check_test`).

use std::collections::BTreeMap;

/// `(name, version) -> sha256` for every crates.io package of a Cargo.lock.
pub fn lock_crates(lock: &str) -> Result<BTreeMap<(String, String), String>, String> {
    let mut crates = BTreeMap::new();
    for (index, block) in lock.split("[[package]]").enumerate().skip(1) {
        let field = |key: &str| {
            block.lines().find_map(|line| {
                let value = line.strip_prefix(key)?.trim_start().strip_prefix('=')?;
                Some(value.trim().trim_matches('"').to_string())
            })
        };
        let name = field("name").ok_or(format!("Cargo.lock: package #{index} has no name"))?;
        let Some(source) = field("source") else {
            continue; // a workspace member
        };
        if !source.starts_with("registry+") {
            return Err(format!(
                "Cargo.lock: {name} comes from {source}, not crates.io"
            ));
        }
        let version = field("version").ok_or(format!("Cargo.lock: {name} has no version"))?;
        let checksum = field("checksum").ok_or(format!("Cargo.lock: {name} has no checksum"))?;
        crates.insert((name, version), checksum);
    }
    Ok(crates)
}

/// `(name, version) -> sha256` for every `http_archive` of a generated defs.bzl, read from
/// its canonical crates.io URL.
pub fn vendored_crates(defs: &str) -> Result<BTreeMap<(String, String), String>, String> {
    let mut crates = BTreeMap::new();
    for block in defs.split("maybe(").skip(1) {
        if !block.trim_start().starts_with("http_archive") {
            continue;
        }
        let quoted = |key: &str| {
            let start = block.find(&format!("{key} = "))?;
            let rest = &block[start..];
            let open = rest.find('"')? + 1;
            let close = rest[open..].find('"')? + open;
            Some(rest[open..close].to_string())
        };
        let name = quoted("name").ok_or("defs.bzl: http_archive without a name")?;
        let sha256 = quoted("sha256").ok_or(format!("defs.bzl: {name} has no sha256"))?;
        let url = quoted("urls").ok_or(format!("defs.bzl: {name} has no urls"))?;
        let path = url
            .strip_prefix("https://static.crates.io/crates/")
            .and_then(|p| p.strip_suffix("/download"))
            .ok_or(format!(
                "defs.bzl: {name}: URL {url} is not a static.crates.io download"
            ))?;
        let (crate_name, version) = path.split_once('/').ok_or(format!(
            "defs.bzl: {name}: cannot read the crate from {url}"
        ))?;
        crates.insert((crate_name.to_string(), version.to_string()), sha256);
    }
    Ok(crates)
}

/// Differences between the two, one line each; empty when they agree.
pub fn differences(lock: &str, defs: &str) -> Result<Vec<String>, String> {
    let locked = lock_crates(lock)?;
    let vendored = vendored_crates(defs)?;
    let mut out = Vec::new();
    for ((name, version), sum) in &locked {
        match vendored.get(&(name.clone(), version.clone())) {
            None => out.push(format!("{name} {version}: in Cargo.lock, not vendored")),
            Some(v) if v != sum => out.push(format!(
                "{name} {version}: checksum {sum} in Cargo.lock, {v} in defs.bzl"
            )),
            Some(_) => {}
        }
    }
    for (name, version) in vendored.keys() {
        if !locked.contains_key(&(name.clone(), version.clone())) {
            out.push(format!("{name} {version}: vendored, not in Cargo.lock"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Paths from Bazel (`rootpath` in env) or, under cargo, from the workspace root.
    fn read(env: &str, relative: &str) -> String {
        let path = std::env::var(env)
            .unwrap_or_else(|_| format!("{}/../../{relative}", env!("CARGO_MANIFEST_DIR")));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
    }

    #[test]
    fn generated_crates_match_cargo_lock() {
        let lock = read("CARGO_LOCK", "Cargo.lock");
        let defs = read("CRATES_DEFS", "third_party/crates/remote/defs.bzl");
        assert!(
            lock_crates(&lock).unwrap().len() > 20,
            "Cargo.lock looks empty"
        );
        let diff = differences(&lock, &defs).unwrap();
        assert!(
            diff.is_empty(),
            "third_party/crates is out of date (run tools/vendor-crates):\n{}",
            diff.join("\n")
        );
    }

    const LOCK: &str = r#"
[[package]]
name = "deb"
version = "0.1.0"

[[package]]
name = "hex"
version = "0.4.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aa"
"#;

    fn defs(version: &str, sum: &str) -> String {
        format!(
            "    maybe(\n        http_archive,\n        name = \"crates__hex-{version}\",\n        sha256 = \"{sum}\",\n        urls = [\"https://static.crates.io/crates/hex/{version}/download\"],\n    )\n"
        )
    }

    #[test]
    fn agreeing_files_have_no_differences() {
        assert!(differences(LOCK, &defs("0.4.3", "aa")).unwrap().is_empty());
    }

    #[test]
    fn reports_checksum_and_version_drift() {
        assert_eq!(
            differences(LOCK, &defs("0.4.3", "bb")).unwrap(),
            ["hex 0.4.3: checksum aa in Cargo.lock, bb in defs.bzl"]
        );
        assert_eq!(
            differences(LOCK, &defs("0.4.2", "aa")).unwrap(),
            [
                "hex 0.4.3: in Cargo.lock, not vendored",
                "hex 0.4.2: vendored, not in Cargo.lock"
            ]
        );
    }

    #[test]
    fn rejects_foreign_urls() {
        let bad = defs("0.4.3", "aa").replace("static.crates.io", "example.org");
        assert!(vendored_crates(&bad)
            .unwrap_err()
            .contains("not a static.crates.io download"));
    }
}
