//! One layer entry and the path rules every entry must follow.

use crate::{Content, Error};

/// Longest normalised path: `/` + path + NUL fit Linux's PATH_MAX (4096).
pub const MAX_PATH: usize = 4094;
/// Longest path component (NAME_MAX).
pub const MAX_NAME: usize = 255;
/// Longest symlink target Linux stores (PATH_MAX less the NUL).
pub const MAX_LINK: usize = 4095;
/// Largest uid or gid: Linux ids are 32 bits, and 2^32-1 means "no id".
pub const MAX_ID: u64 = u32::MAX as u64 - 1;
/// The prefix image runtimes read as a deletion marker (a "whiteout").
pub const WHITEOUT_PREFIX: &str = ".wh.";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Directory,
    File(Content),
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

    /// Memory it takes in a layer (see [`crate::budget`]): the path twice (entry and key).
    pub(crate) fn cost(&self) -> u64 {
        let link = match &self.kind {
            Kind::Symlink(t) | Kind::Hardlink(t) => t.len(),
            Kind::Directory | Kind::File(_) => 0,
        };
        (2 * self.path.len() + link) as u64 + crate::budget::ENTRY_OVERHEAD
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if normalize_path(&self.path)?.as_deref() != Some(self.path.as_str()) {
            return Err(Error::entry(&self.path, "path is not normalised"));
        }
        if self
            .path
            .split('/')
            .any(|name| name.starts_with(WHITEOUT_PREFIX))
        {
            return Err(Error::entry(
                &self.path,
                "a name starting with .wh. is a whiteout, which image runtimes read as deleting \
                 a file of a lower layer: not allowed in a layer",
            ));
        }
        if self.mode > 0o7777 {
            return Err(Error::entry(
                &self.path,
                format!("mode {:o} has bits beyond 07777", self.mode),
            ));
        }
        for (what, id) in [("uid", self.uid), ("gid", self.gid)] {
            if id > MAX_ID {
                return Err(Error::entry(
                    &self.path,
                    format!("{what} {id} is beyond Linux's 32-bit ids (at most {MAX_ID})"),
                ));
            }
        }
        if let Kind::Symlink(target) | Kind::Hardlink(target) = &self.kind {
            if let Some(problem) = text_problem(target) {
                return Err(Error::entry(
                    &self.path,
                    format!("link target {}: {problem}", shown(target)),
                ));
            }
            if target.len() > MAX_LINK {
                return Err(Error::entry(
                    &self.path,
                    format!(
                        "link target of {} bytes, longer than Linux allows ({MAX_LINK})",
                        target.len()
                    ),
                ));
            }
        }
        if let Kind::Symlink(target) = &self.kind {
            if target.is_empty() {
                return Err(Error::entry(&self.path, "symlink with an empty target"));
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
            Kind::File(content) => format!(
                "file {:04o} {}:{} of {} bytes",
                self.mode,
                self.uid,
                self.gid,
                content.len()
            ),
            Kind::Symlink(t) => format!("symlink to {t}"),
            Kind::Hardlink(t) => format!("hardlink to {t}"),
        }
    }

    pub(crate) fn listing_line(&self) -> String {
        let (kind, size, target) = match &self.kind {
            Kind::Directory => ("d", 0, ""),
            Kind::File(content) => ("f", content.len(), ""),
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
/// and a trailing `/`. `None` for the root itself. `..` anywhere, control characters (a
/// newline would forge a line of a listing), and names or paths longer than Linux can create
/// are errors.
pub fn normalize_path(raw: &str) -> Result<Option<String>, Error> {
    if let Some(problem) = text_problem(raw) {
        return Err(Error::entry(&shown(raw), format!("path {problem}")));
    }
    let mut parts = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(Error::entry(&shown(raw), "path contains \"..\"")),
            _ if part.len() > MAX_NAME => {
                return Err(Error::entry(
                    &shown(raw),
                    format!(
                        "a name of {} bytes, longer than Linux allows ({MAX_NAME})",
                        part.len()
                    ),
                ))
            }
            _ => parts.push(part),
        }
    }
    let path = parts.join("/");
    if path.len() > MAX_PATH {
        return Err(Error::entry(
            &shown(raw),
            format!(
                "a path of {} bytes, longer than Linux allows ({MAX_PATH} below /)",
                path.len()
            ),
        ));
    }
    Ok((!parts.is_empty()).then_some(path))
}

/// What makes a name or link target unusable, if anything.
fn text_problem(text: &str) -> Option<&'static str> {
    if text.contains('\0') {
        Some("contains a NUL byte")
    } else if text.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    }
}

/// A path or target for a message: control characters escaped, at most 200 characters.
pub(crate) fn shown(text: &str) -> String {
    shortened(&text.escape_debug().collect::<String>())
}

/// At most 200 characters of `text`.
pub(crate) fn shortened(text: &str) -> String {
    match text.char_indices().nth(200) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
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
    fn refuses_what_linux_cannot_create_or_a_listing_would_misread() {
        let err = |p: &str| normalize_path(p).unwrap_err().to_string();
        assert_eq!(
            err("./etc/x\n/etc/shadow f 0644 0:0 1"),
            "./etc/x\\n/etc/shadow f 0644 0:0 1: path contains a control character"
        );
        assert_eq!(
            err("./a\u{1b}[31mred"),
            "./a\\u{1b}[31mred: path contains a control character"
        );
        assert!(err(&format!("a/{}", "n".repeat(256)))
            .ends_with(": a name of 256 bytes, longer than Linux allows (255)"));
        let deep = "d/".repeat(2047) + "f";
        assert!(
            normalize_path(&deep[2..]).unwrap().is_some(),
            "4093 bytes fit"
        );
        let message = err(&format!("{deep}x"));
        assert!(
            message.ends_with(": a path of 4096 bytes, longer than Linux allows (4094 below /)"),
            "{message}"
        );
        assert!(
            message.starts_with(&format!("{}...", &deep[..200])),
            "shortened"
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
    fn whiteouts_and_ids_beyond_32_bits_are_refused() {
        let mut e = symlink("etc/.wh.passwd", "x");
        assert!(e
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("etc/.wh.passwd: a name starting with .wh. is a whiteout"));
        e.path = "etc/.wh..wh..opq".into();
        assert!(e.validate().is_err());
        e.path = "etc/x.wh.y".into();
        e.uid = u64::MAX;
        assert_eq!(
            e.validate().unwrap_err().to_string(),
            "etc/x.wh.y: uid 18446744073709551615 is beyond Linux's 32-bit ids (at most 4294967294)"
        );
        e.uid = MAX_ID;
        e.gid = MAX_ID;
        e.validate().unwrap();
        e.kind = Kind::Symlink("a\nb".into());
        assert_eq!(
            e.validate().unwrap_err().to_string(),
            "etc/x.wh.y: link target a\\nb: contains a control character"
        );
        e.kind = Kind::Symlink("t".repeat(4096));
        assert_eq!(
            e.validate().unwrap_err().to_string(),
            "etc/x.wh.y: link target of 4096 bytes, longer than Linux allows (4095)"
        );
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
