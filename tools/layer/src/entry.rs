//! One layer entry and the path rules every entry must follow.

use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Directory,
    File(Vec<u8>),
    /// Target as written; absolute targets are resolved inside the image root.
    Symlink(String),
    /// Normalised path of another regular file of the same layer.
    Hardlink(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised: relative to the root, no `.`/`..` components, no trailing `/`.
    pub path: String,
    pub kind: Kind,
    /// Permission bits, including setuid/setgid/sticky (`0o7777` at most).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// A parent directory nobody declared (0755, root-owned); may be replaced by a declaration.
    pub implicit: bool,
}

impl Entry {
    pub(crate) fn implicit_dir(path: &str) -> Self {
        Entry {
            path: path.to_string(),
            kind: Kind::Directory,
            mode: 0o755,
            uid: 0,
            gid: 0,
            implicit: true,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if normalize_path(&self.path)?.as_deref() != Some(self.path.as_str()) {
            return Err(Error::entry(&self.path, "path is not normalised"));
        }
        if self.mode > 0o7777 {
            return Err(Error::entry(
                &self.path,
                format!("mode {:o} has bits beyond 07777", self.mode),
            ));
        }
        if let Kind::Symlink(target) = &self.kind {
            if target.is_empty() || target.contains('\0') {
                return Err(Error::entry(
                    &self.path,
                    "symlink with an empty or invalid target",
                ));
            }
            if !target.starts_with('/') {
                // Resolve lexically from the link's directory; climbing above the root would
                // point outside the image wherever it is unpacked.
                let mut depth = parents(&self.path).count() as i64;
                for part in target.split('/') {
                    match part {
                        "" | "." => {}
                        ".." => depth -= 1,
                        _ => depth += 1,
                    }
                    if depth < 0 {
                        return Err(Error::entry(
                            &self.path,
                            format!("symlink target {target:?} climbs out of the image root"),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// A short description for error messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Directory => format!("directory {:04o} {}:{}", self.mode, self.uid, self.gid),
            Kind::File(data) => format!(
                "file {:04o} {}:{} of {} bytes",
                self.mode,
                self.uid,
                self.gid,
                data.len()
            ),
            Kind::Symlink(t) => format!("symlink to {t}"),
            Kind::Hardlink(t) => format!("hardlink to {t}"),
        }
    }

    pub(crate) fn listing_line(&self) -> String {
        let (kind, size, target) = match &self.kind {
            Kind::Directory => ("d", 0, ""),
            Kind::File(data) => ("f", data.len(), ""),
            Kind::Symlink(t) => ("l", 0, t.as_str()),
            Kind::Hardlink(t) => ("h", 0, t.as_str()),
        };
        format!(
            "/{} {kind} {:04o} {}:{} {size} {target}",
            self.path, self.mode, self.uid, self.gid
        )
        .trim_end()
        .to_string()
    }
}

/// Normalises a path from a tar or a declaration: drops leading `/` and `./`, `.` components
/// and a trailing `/`. `None` for the root itself. `..` anywhere is an error.
pub fn normalize_path(raw: &str) -> Result<Option<String>, Error> {
    if raw.contains('\0') {
        return Err(Error::entry(raw, "path contains a NUL byte"));
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(Error::entry(raw, "path contains \"..\"")),
            _ => parts.push(part),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

/// The proper ancestors of a normalised path, nearest to the root first.
pub(crate) fn parents(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_paths() {
        assert_eq!(
            normalize_path("./usr/bin/").unwrap().as_deref(),
            Some("usr/bin")
        );
        assert_eq!(
            normalize_path("/etc//passwd").unwrap().as_deref(),
            Some("etc/passwd")
        );
        assert_eq!(normalize_path("./").unwrap(), None);
        assert_eq!(
            normalize_path("./usr/../../etc/shadow")
                .unwrap_err()
                .to_string(),
            "./usr/../../etc/shadow: path contains \"..\""
        );
    }

    #[test]
    fn lists_parents() {
        assert_eq!(parents("a/b/c").collect::<Vec<_>>(), ["a", "a/b"]);
        assert_eq!(parents("a").count(), 0);
    }

    fn symlink(path: &str, target: &str) -> Entry {
        Entry {
            path: path.into(),
            kind: Kind::Symlink(target.into()),
            mode: 0o777,
            uid: 0,
            gid: 0,
            implicit: false,
        }
    }

    #[test]
    fn symlinks_may_not_climb_out() {
        assert!(symlink("usr/lib/x", "../../etc/passwd").validate().is_ok());
        assert!(symlink("lib64/ld.so", "/lib/x86_64-linux-gnu/ld.so")
            .validate()
            .is_ok());
        assert_eq!(
            symlink("usr/lib/x", "../../../etc/passwd")
                .validate()
                .unwrap_err()
                .to_string(),
            "usr/lib/x: symlink target \"../../../etc/passwd\" climbs out of the image root"
        );
        assert!(symlink("a", "b/../../c").validate().is_err());
    }
}
