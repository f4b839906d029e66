//! A fast reader of `Packages` indexes: one pass over the text, fields borrowed from it.

use crate::Error;

/// One binary package stanza (only the fields resolution and locking need).
#[derive(Debug, Clone, Default)]
pub struct Package<'a> {
    pub name: &'a str,
    pub version: &'a str,
    pub architecture: &'a str,
    pub depends: &'a str,
    pub pre_depends: &'a str,
    pub provides: &'a str,
    pub filename: &'a str,
    pub size: u64,
    pub sha256: &'a str,
    /// The source package name, without a version (defaults to the package name).
    pub source: &'a str,
}

/// Parses every stanza of `text`; `origin` names the index in errors.
pub fn parse<'a>(text: &'a str, origin: &str) -> Result<Vec<Package<'a>>, Error> {
    let mut packages = Vec::with_capacity(text.len() / 700);
    let mut current = Package::default();
    let mut line_number = 0usize;
    let mut start_line = 1usize;
    let mut finish = |p: &mut Package<'a>, at: usize| -> Result<(), Error> {
        if p.name.is_empty() {
            return Ok(());
        }
        for (field, value) in [
            ("Version", p.version),
            ("Architecture", p.architecture),
            ("Filename", p.filename),
            ("SHA256", p.sha256),
        ] {
            if value.is_empty() {
                return Err(Error::Index(format!(
                    "{origin}: package {} (line {at}) has no {field}",
                    p.name
                )));
            }
        }
        if p.source.is_empty() {
            p.source = p.name;
        }
        packages.push(std::mem::take(p));
        Ok(())
    };
    for line in text.split('\n') {
        line_number += 1;
        if line.is_empty() {
            finish(&mut current, start_line)?;
            start_line = line_number + 1;
            continue;
        }
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a field we do not keep (Description, ...)
        }
        let Some((field, value)) = line.split_once(':') else {
            return Err(Error::Index(format!(
                "{origin}: line {line_number}: expected \"Field: value\""
            )));
        };
        let value = value.trim();
        match field {
            "Package" => current.name = value,
            "Version" => current.version = value,
            "Architecture" => current.architecture = value,
            "Depends" => current.depends = value,
            "Pre-Depends" => current.pre_depends = value,
            "Provides" => current.provides = value,
            "Filename" => current.filename = value,
            "SHA256" => current.sha256 = value,
            "Source" => current.source = value.split(' ').next().unwrap_or(value),
            "Size" => {
                current.size = value.parse().map_err(|_| {
                    Error::Index(format!("{origin}: line {line_number}: bad Size {value:?}"))
                })?
            }
            _ => {}
        }
    }
    finish(&mut current, start_line)?;
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stanzas_and_skips_continuations() {
        let text = "Package: a\nVersion: 1\nArchitecture: amd64\nDescription: x\n long text\n .\nFilename: pool/a.deb\nSize: 10\nSHA256: aa\nSource: asrc (1.0)\n\nPackage: b\nVersion: 2\nArchitecture: all\nDepends: a (>= 1)\nFilename: pool/b.deb\nSize: 20\nSHA256: bb\n";
        let packages = parse(text, "test").unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].source, "asrc");
        assert_eq!(packages[1].source, "b");
        assert_eq!(packages[1].depends, "a (>= 1)");
        assert_eq!(packages[1].size, 20);
    }

    #[test]
    fn names_what_is_missing() {
        let err = parse(
            "Package: a\nVersion: 1\nArchitecture: amd64\nFilename: f\n",
            "main/binary-amd64/Packages",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "main/binary-amd64/Packages: package a (line 1) has no SHA256"
        );
    }
}
