//! Finding the files of a layout we read without following a symlink out of it.
//!
//! Bazel hands a layout over as symlinks: the sandbox links every file of a tree artifact to
//! the same file in the execroot, the execroot links sources to the workspace and external
//! repositories to the output base, and rules_oci or rules_img (on Bazel >= 7.1) make blobs
//! relative links to layer files elsewhere in the execroot. A crafted layout uses the same
//! means to point a blob at `/etc/hostname`. Two kinds of link are followed, one component at
//! a time, and nothing else:
//!
//! - a *staging* link: an absolute link whose target ends with the link's own path below the
//!   current root, i.e. the same file of the same tree in another place (`<sandbox>/<p>` to
//!   `<execroot>/<p>`, `<execroot>/<p>` to `<workspace>/<p>`); the root moves there;
//! - a relative link that stays below the current root.
//!
//! The root is the working directory (Bazel's execroot) for a layout named by a relative
//! path, and the layout itself otherwise. A layout directory that can only be reached by
//! another link (`debimage image --base mylink`, `mylink -> /elsewhere`) is taken as the
//! caller names it, with itself as the root. Every file must end at a regular file; its
//! content is then checked against its digest by the caller.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use crate::Error;

/// Links followed for one file, at most (as Linux's own limit).
const MAX_LINKS: usize = 40;

/// A layout directory, found.
#[derive(Debug, Clone)]
pub(crate) struct LayoutDir {
    /// As the caller named it, for messages.
    pub shown: PathBuf,
    /// Its real path (no symlinks).
    real: PathBuf,
    /// What relative links inside it may not leave.
    root: PathBuf,
}

impl LayoutDir {
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let strict = if dir.is_relative() {
            std::env::current_dir()
                .and_then(|cwd| cwd.canonicalize())
                .map_err(Error::io(Path::new(".")))
                .and_then(|cwd| walk(cwd.clone(), cwd, components(dir), dir))
                .ok()
        } else {
            None
        };
        let (real, root) = match strict {
            Some(found) => found,
            None => {
                let real = dir.canonicalize().map_err(Error::io(dir))?;
                (real.clone(), real)
            }
        };
        if !real.is_dir() {
            return Err(Error::input(
                dir,
                "is not a directory (an OCI image layout)",
            ));
        }
        Ok(LayoutDir {
            shown: dir.to_path_buf(),
            real,
            root,
        })
    }

    /// The layout's file `rel` (e.g. `blobs/sha256/<hex>`) as a real path to a regular file.
    pub fn file(&self, rel: &str) -> Result<PathBuf, Error> {
        let shown = self.shown.join(rel);
        let (real, _) = walk(
            self.root.clone(),
            self.real.clone(),
            components(Path::new(rel)),
            &shown,
        )?;
        let meta = std::fs::metadata(&real).map_err(Error::io(&shown))?;
        if !meta.is_file() {
            return Err(Error::input(&shown, "is not a regular file"));
        }
        Ok(real)
    }
}

fn components(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some("..".into()),
            Component::CurDir | Component::RootDir | Component::Prefix(_) => None,
        })
        .collect()
}

/// Follows `rest` from `cur` (a real directory below `root`); returns the real path reached
/// and the root it ended under. `shown` names the file in errors.
fn walk(
    mut root: PathBuf,
    mut cur: PathBuf,
    mut rest: VecDeque<OsString>,
    shown: &Path,
) -> Result<(PathBuf, PathBuf), Error> {
    let mut links = 0;
    while let Some(name) = rest.pop_front() {
        if name == ".." {
            if cur == root {
                return Err(Error::input(shown, "leads out of the layout"));
            }
            cur.pop();
            continue;
        }
        let next = cur.join(&name);
        let meta = std::fs::symlink_metadata(&next).map_err(Error::io(shown))?;
        if !meta.file_type().is_symlink() {
            cur = next;
            continue;
        }
        links += 1;
        if links > MAX_LINKS {
            return Err(Error::input(shown, "too many levels of symbolic links"));
        }
        let target = std::fs::read_link(&next).map_err(Error::io(shown))?;
        if target.is_relative() {
            for part in components(&target).into_iter().rev() {
                rest.push_front(part);
            }
            continue;
        }
        // `next` is below `root` by construction.
        let own = next.strip_prefix(&root).unwrap_or(&next).to_path_buf();
        let plain = target
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
        let Some(other_root) = plain.then(|| strip_suffix(&target, &own)).flatten() else {
            return Err(Error::input(
                shown,
                format!(
                    "is reached through a symlink to {} outside the layout",
                    target.display()
                ),
            ));
        };
        root = other_root.canonicalize().map_err(Error::io(shown))?;
        cur = root.clone();
        for part in components(&own).into_iter().rev() {
            rest.push_front(part);
        }
    }
    Ok((cur, root))
}

/// `path` without its trailing components `suffix`, if it ends with them.
fn strip_suffix(path: &Path, suffix: &Path) -> Option<PathBuf> {
    if !path.ends_with(suffix) {
        return None;
    }
    let mut prefix = path.to_path_buf();
    for _ in suffix.components() {
        prefix.pop();
    }
    Some(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A layout with one blob, and the same tree staged as Bazel's sandbox does: a real
    /// directory whose files are absolute links to the real tree's files.
    fn staged(tmp: &Path) -> (PathBuf, PathBuf) {
        let real = tmp.join("execroot/bazel-out/bin/img");
        std::fs::create_dir_all(real.join("blobs/sha256")).unwrap();
        std::fs::write(real.join("oci-layout"), "{}").unwrap();
        std::fs::write(real.join("blobs/sha256/aa"), "blob").unwrap();
        let sandbox = tmp.join("sandbox/execroot/bazel-out/bin/img");
        std::fs::create_dir_all(sandbox.join("blobs/sha256")).unwrap();
        for f in ["oci-layout", "blobs/sha256/aa"] {
            symlink(real.join(f), sandbox.join(f)).unwrap();
        }
        (real, sandbox)
    }

    fn file(root: &Path, dir: &Path, rel: &str) -> Result<PathBuf, String> {
        let layout = LayoutDir {
            shown: dir.to_path_buf(),
            real: dir.canonicalize().unwrap(),
            root: root.canonicalize().unwrap(),
        };
        layout.file(rel).map_err(|e| e.to_string())
    }

    #[test]
    fn follows_staging_links_and_relative_links_within_the_root() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path().canonicalize().unwrap();
        let (real, sandbox) = staged(&tmp);
        let sandbox_root = tmp.join("sandbox/execroot");
        assert_eq!(
            file(&sandbox_root, &sandbox, "blobs/sha256/aa").unwrap(),
            real.join("blobs/sha256/aa")
        );
        // rules_oci's shape: the real tree's blob is a relative link to a layer file
        // elsewhere in the execroot (reached after the staging link moved the root there).
        std::fs::write(tmp.join("execroot/bazel-out/bin/layer.tar"), "tar").unwrap();
        symlink("../../../layer.tar", real.join("blobs/sha256/up")).unwrap();
        symlink(
            real.join("blobs/sha256/up"),
            sandbox.join("blobs/sha256/up"),
        )
        .unwrap();
        assert_eq!(
            file(&sandbox_root, &sandbox, "blobs/sha256/up").unwrap(),
            tmp.join("execroot/bazel-out/bin/layer.tar")
        );
    }

    #[test]
    fn refuses_links_out_of_the_layout() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path().canonicalize().unwrap();
        let (real, sandbox) = staged(&tmp);
        let sandbox_root = tmp.join("sandbox/execroot");
        // An absolute link in the real tree (Bazel keeps it) to a host file.
        symlink("/etc/hostname", real.join("blobs/sha256/host")).unwrap();
        symlink(
            real.join("blobs/sha256/host"),
            sandbox.join("blobs/sha256/host"),
        )
        .unwrap();
        let err = file(&sandbox_root, &sandbox, "blobs/sha256/host").unwrap_err();
        assert!(
            err.ends_with("blobs/sha256/host: is reached through a symlink to /etc/hostname outside the layout"),
            "{err}"
        );
        // A relative link climbing out of the root.
        symlink(
            "../../../../../../../../../../../../etc/hostname",
            real.join("blobs/sha256/up"),
        )
        .unwrap();
        symlink(
            real.join("blobs/sha256/up"),
            sandbox.join("blobs/sha256/up"),
        )
        .unwrap();
        let err = file(&sandbox_root, &sandbox, "blobs/sha256/up").unwrap_err();
        assert!(err.ends_with("leads out of the layout"), "{err}");
        // The layout as its own root: a relative link up to a sibling file is out.
        std::fs::write(tmp.join("execroot/bazel-out/bin/secret"), "x").unwrap();
        symlink("../../../secret", real.join("blobs/sha256/sib")).unwrap();
        let err = file(&real, &real, "blobs/sha256/sib").unwrap_err();
        assert!(err.ends_with("leads out of the layout"), "{err}");
        // A staging-looking link with `..` in it, a link loop, a directory, a FIFO.
        symlink(
            tmp.join("execroot/bazel-out/bin/img/../img/blobs/sha256/dots"),
            real.join("blobs/sha256/dots"),
        )
        .unwrap();
        assert!(file(&real, &real, "blobs/sha256/dots")
            .unwrap_err()
            .contains("outside the layout"));
        symlink("loop", real.join("blobs/sha256/loop")).unwrap();
        assert!(file(&real, &real, "blobs/sha256/loop")
            .unwrap_err()
            .ends_with("too many levels of symbolic links"));
        assert!(file(&real, &real, "blobs")
            .unwrap_err()
            .ends_with("is not a regular file"));
        let fifo = real.join("blobs/sha256/fifo");
        assert!(std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success());
        assert!(file(&real, &real, "blobs/sha256/fifo")
            .unwrap_err()
            .ends_with("is not a regular file"));
    }

    #[test]
    fn a_layout_named_through_a_link_is_taken_as_named() {
        let tmp = tempfile::tempdir().unwrap();
        let tmp = tmp.path().canonicalize().unwrap();
        let (real, _) = staged(&tmp);
        let link = tmp.join("mylink");
        symlink(&real, &link).unwrap();
        let layout = LayoutDir::open(&link).unwrap();
        assert_eq!(layout.real, real);
        assert_eq!(layout.root, real);
        assert_eq!(
            layout.file("blobs/sha256/aa").unwrap(),
            real.join("blobs/sha256/aa")
        );
        assert!(LayoutDir::open(&tmp.join("missing")).is_err());
        assert!(LayoutDir::open(&real.join("oci-layout"))
            .unwrap_err()
            .to_string()
            .ends_with("is not a directory (an OCI image layout)"));
    }
}
