//! The merged-/usr layout (Debian 13 and later): `/bin`, `/sbin` and `/lib*` are symlinks into
//! `/usr`, so package files shipped under them are moved to `/usr/...`.

/// Top-level directories that merged-/usr turns into symlinks.
const MERGED: [&str; 7] = ["bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32"];

/// The merged-/usr location of a normalised path, when it moves.
pub fn merged_usr_path(path: &str) -> Option<String> {
    let top = path.split('/').next().unwrap_or(path);
    MERGED.contains(&top).then(|| format!("usr/{path}"))
}

/// For a top-level merged directory (`bin`, ...), the symlink target that replaces it.
pub fn merged_usr_link(path: &str) -> Option<String> {
    MERGED.contains(&path).then(|| format!("usr/{path}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_only_top_level_merged_directories() {
        assert_eq!(merged_usr_path("bin/sh").as_deref(), Some("usr/bin/sh"));
        assert_eq!(
            merged_usr_path("lib/x86_64-linux-gnu/libc.so.6").as_deref(),
            Some("usr/lib/x86_64-linux-gnu/libc.so.6")
        );
        assert_eq!(merged_usr_path("lib64").as_deref(), Some("usr/lib64"));
        assert_eq!(merged_usr_path("usr/bin/env"), None);
        assert_eq!(merged_usr_path("library/x"), None);
        assert_eq!(merged_usr_link("sbin").as_deref(), Some("usr/sbin"));
        assert_eq!(merged_usr_link("sbin/x"), None);
    }
}
