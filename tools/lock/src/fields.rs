//! The syntax of the package fields that reach a lockfile (and from there Bazel BUILD files
//! and URLs): package names (Policy 5.6.1), versions (Policy 5.6.12), architecture names,
//! pool-relative file names, sha256 sums. An archive index is input from the network: its
//! signature says who wrote it, not that it is well formed. The `debian` module extension
//! (private/debian_extension.bzl) checks lockfiles with the same rules.

/// A field that does not have its syntax; names the field, the value and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad {field} {value:?}: {rule}")]
pub struct FieldError {
    pub field: &'static str,
    pub value: String,
    pub rule: &'static str,
}

fn bad(field: &'static str, value: &str, rule: &'static str) -> Result<(), FieldError> {
    Err(FieldError {
        field,
        value: value.to_string(),
        rule,
    })
}

/// A package (or source package) name: at least two characters, lower-case letters, digits and
/// `+ - .`, starting with a letter or digit (Policy 5.6.1).
pub fn package_name(field: &'static str, name: &str) -> Result<(), FieldError> {
    let b = name.as_bytes();
    if b.len() < 2 || b.len() > 128 {
        return bad(field, name, "a package name has 2 to 128 characters");
    }
    if !(b[0].is_ascii_lowercase() || b[0].is_ascii_digit()) {
        return bad(field, name, "a package name starts with a-z or 0-9");
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.'))
    {
        return bad(field, name, "a package name has only a-z, 0-9, +, - and .");
    }
    Ok(())
}

/// A Debian version, `[epoch:]upstream_version[-debian_revision]` (Policy 5.6.12): the epoch
/// digits; the upstream version starts with a digit and has letters, digits and `. + ~` (and
/// `-` when there is a revision); the revision, after the last `-`, letters, digits and
/// `. + ~`.
pub fn version(version: &str) -> Result<(), FieldError> {
    const FIELD: &str = "Version";
    if version.is_empty() || version.len() > 256 {
        return bad(FIELD, version, "a version has 1 to 256 characters");
    }
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) => (Some(epoch), rest),
        None => (None, version),
    };
    if let Some(epoch) = epoch {
        if epoch.is_empty() || !epoch.bytes().all(|c| c.is_ascii_digit()) || epoch.len() > 9 {
            return bad(FIELD, version, "the epoch (before ':') is a number");
        }
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((upstream, revision)) => (upstream, Some(revision)),
        None => (rest, None),
    };
    if !upstream.bytes().next().is_some_and(|c| c.is_ascii_digit()) {
        return bad(FIELD, version, "the upstream version starts with a digit");
    }
    let common = |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'~');
    if !upstream
        .bytes()
        .all(|c| common(c) || (c == b'-' && revision.is_some()))
    {
        return bad(
            FIELD,
            version,
            "the upstream version has only letters, digits and . + ~ (and - before a revision)",
        );
    }
    if let Some(revision) = revision {
        if revision.is_empty() || !revision.bytes().all(common) {
            return bad(
                FIELD,
                version,
                "the revision (after the last '-') is letters, digits and . + ~",
            );
        }
    }
    Ok(())
}

/// A Debian architecture name (`amd64`, `all`, `hurd-i386`): lower-case letters, digits and
/// `-`, starting with a letter or digit.
pub fn architecture(field: &'static str, arch: &str) -> Result<(), FieldError> {
    let b = arch.as_bytes();
    if b.is_empty() || b.len() > 32 || b[0] == b'-' {
        return bad(field, arch, "an architecture is 1 to 32 of a-z, 0-9 and -");
    }
    if !b
        .iter()
        .all(|&c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        return bad(field, arch, "an architecture is 1 to 32 of a-z, 0-9 and -");
    }
    Ok(())
}

/// The `Filename` of a package, relative to the archive root (`pool/main/b/bzip2/...deb`, or in
/// a flat repository `bzip2_1.0.8-5+b1_amd64.deb`; a leading `./` is allowed): `/`-separated
/// components of letters, digits and `. + ~ _ % -`, none empty, `.` or `..`, ending in `.deb`.
/// It is appended to the archive's URL, so nothing in it may step out of the archive.
pub fn filename(filename: &str) -> Result<(), FieldError> {
    const FIELD: &str = "Filename";
    let path = filename.strip_prefix("./").unwrap_or(filename);
    if path.is_empty() || filename.len() > 1024 {
        return bad(FIELD, filename, "a file name has 1 to 1024 characters");
    }
    for component in path.split('/') {
        if component.is_empty() || component == "." || component == ".." {
            return bad(
                FIELD,
                filename,
                "a file name is relative to the archive, without empty, . or .. components",
            );
        }
        if !component.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'~' | b'_' | b'%' | b'-')
        }) {
            return bad(
                FIELD,
                filename,
                "a file name has only letters, digits, /, ., +, ~, _, % and -",
            );
        }
    }
    if !path.ends_with(".deb") {
        return bad(FIELD, filename, "a package file name ends in .deb");
    }
    Ok(())
}

/// A suite: a name of letters, digits, `-`, `_` and `.` (`bookworm-updates`), or, for a flat
/// repository, the directory of its Release relative to the archive root: `./` or names as
/// above, each followed by `/` (`stable/`, `debian/12/`), none of them `.` or `..`.
pub fn suite(field: &'static str, suite: &str) -> Result<(), FieldError> {
    const RULE: &str = "a suite is letters, digits, -, _ and . (or, for a flat repository, ./ \
                        or a relative directory ending in /)";
    let word = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    };
    let ok = match suite.strip_suffix('/') {
        _ if suite.is_empty() || suite.len() > 128 => false,
        None => word(suite),
        Some(".") => true,
        Some(dir) => dir.split('/').all(|d| word(d) && d != "." && d != ".."),
    };
    if ok {
        Ok(())
    } else {
        bad(field, suite, RULE)
    }
}

/// Whether `suite` names a flat repository's directory (`./`, `stable/`) rather than a
/// `dists/` suite.
pub fn is_flat(suite: &str) -> bool {
    suite.ends_with('/')
}

/// A sha256 sum: 64 lower-case hex digits.
pub fn sha256(field: &'static str, sum: &str) -> Result<(), FieldError> {
    if sum.len() != 64 || !sum.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        return bad(field, sum, "a sha256 is 64 lower-case hex digits");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for good in [
            "1.0",
            "2.36-9+deb12u14",
            "1:2.30-1",
            "12.4+deb12u15",
            "2025b-0+deb12u1",
            "1.0~rc1",
            "3.0.11-1~deb12u2",
            "0.9.9~git20230101-1-2",
            "1.2.3+dfsg-1+b1",
            "7.88.1-10+deb12u14",
            "20230311+deb12u1",
            "6.4",
            "2:1.0",
        ] {
            assert_eq!(version(good), Ok(()), "{good}");
        }
        for (bad, rule) in [
            ("", "a version has 1 to 256 characters"),
            ("a1.0", "the upstream version starts with a digit"),
            ("x:1.0", "the epoch (before ':') is a number"),
            (":1.0", "the epoch (before ':') is a number"),
            ("1:1:1", "the upstream version has only"),
            ("1.0-", "the revision (after the last '-') is"),
            ("1.0_1", "the upstream version has only"),
            ("1.0-1_b", "the revision"),
            ("1.0\"", "the upstream version has only"),
            (
                "1.0\", visibility = [\"//visibility:public\"], x = (\"",
                "the epoch",
            ),
            ("1.0\" + str(1) + \"", "the upstream version"),
            ("1.0\n", "the upstream version has only"),
            ("1.0 1", "the upstream version has only"),
            ("1.0/../x", "the upstream version has only"),
            ("-1", "the upstream version starts with a digit"),
        ] {
            let err = version(bad).unwrap_err();
            assert!(err.rule.starts_with(rule), "{bad:?}: {err}");
        }
        assert_eq!(
            version("1.0\"").unwrap_err().to_string(),
            "bad Version \"1.0\\\"\": the upstream version has only letters, digits and . + ~ \
             (and - before a revision)"
        );
    }

    #[test]
    fn names_architectures_sums() {
        for good in ["libc6", "libstdc++6", "g++", "python3.11-minimal", "0ad"] {
            assert_eq!(package_name("Package", good), Ok(()), "{good}");
        }
        for bad in [
            "a",
            "Libc6",
            "-x",
            ".x",
            "lib c",
            "lib\"c",
            "libc6:amd64",
            "x/y",
        ] {
            assert!(package_name("Package", bad).is_err(), "{bad}");
        }
        for good in ["amd64", "all", "ppc64el", "hurd-i386", "riscv64"] {
            assert_eq!(architecture("Architecture", good), Ok(()), "{good}");
        }
        for bad in ["", "AMD64", "amd64\"", "-x", "a/b", "arm 64"] {
            assert!(architecture("Architecture", bad).is_err(), "{bad}");
        }
        let sum = "438871b3f5c5c7a357a9840951dab9dab8db7eb1ff760a563226fafa111b99e5";
        assert_eq!(sha256("SHA256", sum), Ok(()));
        assert!(sha256("SHA256", &sum.to_uppercase()).is_err());
        assert!(sha256("SHA256", &sum[1..]).is_err());
        assert!(sha256("SHA256", &format!("{}g", &sum[1..])).is_err());
    }

    #[test]
    fn file_names() {
        for good in [
            "pool/main/b/bzip2/bzip2_1.0.8-5+b1_amd64.deb",
            "pool/updates/main/o/openssl/libssl3_3.0.17-1~deb12u3_amd64.deb",
            "./hello_1.0_amd64.deb",
            "hello_1.0_amd64.deb",
            "pool/main/libs/libstdc++6_12.2.0-14_amd64.deb",
            "pool/x/foo_1%3a2.0_all.deb",
        ] {
            assert_eq!(filename(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd.deb",
            "pool/../../x.deb",
            "pool/./x.deb",
            "pool//x.deb",
            "../x.deb",
            "pool/x.deb/",
            "pool/x y.deb",
            "pool/x\".deb",
            "pool/x?.deb",
            "pool/x#.deb",
            "pool/x\\y.deb",
            "https://evil.example/x.deb",
            "pool/x.tar",
            "./",
        ] {
            assert!(filename(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn suites() {
        for good in [
            "bookworm",
            "bookworm-updates",
            "a_b.1",
            "./",
            "stable/",
            "debian/12/",
        ] {
            assert_eq!(suite("suite", good), Ok(()), "{good}");
        }
        for bad in [
            "", "/", "../", "a/../", "a/./", ".//", "a//", "/a/", "a/b", "a b", "a\"/", "a\n",
        ] {
            assert!(suite("suite", bad).is_err(), "{bad:?}");
        }
        assert!(is_flat("./") && is_flat("stable/") && !is_flat("bookworm"));
    }
}
