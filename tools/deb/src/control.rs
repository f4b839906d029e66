//! deb822 control paragraphs (`DEBIAN/control`): fields in order, continuation lines kept.

use crate::Error;

/// One parsed control paragraph. `raw` is the text as shipped, for `status.d`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    pub raw: String,
    fields: Vec<(String, String)>,
}

impl Control {
    /// Parses a single paragraph; `Package`, `Version` and `Architecture` are required.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let mut fields: Vec<(String, String)> = Vec::new();
        for (number, line) in text.lines().enumerate() {
            let number = number + 1;
            if line.trim().is_empty() {
                if fields.is_empty() {
                    continue;
                }
                if text.lines().skip(number).any(|l| !l.trim().is_empty()) {
                    return Err(Error::Control(format!(
                        "line {number}: more than one paragraph"
                    )));
                }
                break;
            }
            if line.starts_with([' ', '\t']) {
                let (_, value) = fields.last_mut().ok_or_else(|| {
                    Error::Control(format!("line {number}: continuation line before any field"))
                })?;
                value.push('\n');
                value.push_str(line);
                continue;
            }
            let (name, value) = line.split_once(':').ok_or_else(|| {
                Error::Control(format!("line {number}: expected \"Field: value\""))
            })?;
            if name.is_empty() || name.starts_with('#') || name.contains(char::is_whitespace) {
                return Err(Error::Control(format!(
                    "line {number}: bad field name {name:?}"
                )));
            }
            if fields.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                return Err(Error::Control(format!(
                    "line {number}: field {name} appears twice"
                )));
            }
            fields.push((name.to_string(), value.trim().to_string()));
        }
        let control = Self {
            raw: text.to_string(),
            fields,
        };
        for required in ["Package", "Version", "Architecture"] {
            if control.get(required).is_none_or(str::is_empty) {
                return Err(Error::Control(format!("missing {required} field")));
            }
        }
        if !is_valid_version(control.version()) {
            return Err(Error::Control(format!(
                "Version {:?} is not a Debian version ([epoch:]upstream[-revision])",
                control.version()
            )));
        }
        let arch = control.architecture();
        if !arch
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(Error::Control(format!(
                "Architecture {arch:?} is not a Debian architecture name"
            )));
        }
        Ok(control)
    }

    /// A field's value (names are case-insensitive); multi-line values keep their newlines.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn package(&self) -> &str {
        self.get("Package").unwrap_or_default()
    }

    pub fn version(&self) -> &str {
        self.get("Version").unwrap_or_default()
    }

    pub fn architecture(&self) -> &str {
        self.get("Architecture").unwrap_or_default()
    }

    /// Fields in file order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Debian policy 5.6.12: `[epoch:]upstream_version[-debian_revision]`, the epoch digits, the
/// upstream version starting with a digit, `[A-Za-z0-9.+~]` plus `-` (only with a revision)
/// and `:` (only with an epoch).
pub fn is_valid_version(version: &str) -> bool {
    let (epoch, rest) = match version.split_once(':') {
        Some((epoch, rest)) => (Some(epoch), rest),
        None => (None, version),
    };
    if epoch.is_some_and(|e| e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((upstream, revision)) => (upstream, Some(revision)),
        None => (rest, None),
    };
    let plain = |b: u8| b.is_ascii_alphanumeric() || b".+~".contains(&b);
    let upstream_ok = upstream.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && upstream.bytes().all(|b| {
            plain(b) || (b == b'-' && revision.is_some()) || (b == b':' && epoch.is_some())
        });
    let revision_ok = revision.is_none_or(|r| !r.is_empty() && r.bytes().all(plain));
    upstream_ok && revision_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n\
Description: time zone and daylight-saving time data\n This package contains data required\n .\n for time zones.\n";

    #[test]
    fn parses_fields_and_continuations() {
        let c = Control::parse(SAMPLE).unwrap();
        assert_eq!(c.package(), "tzdata");
        assert_eq!(c.version(), "2024a-0+deb12u1");
        assert_eq!(c.get("architecture"), Some("all"));
        assert_eq!(
            c.get("Description").unwrap(),
            "time zone and daylight-saving time data\n This package contains data required\n .\n for time zones."
        );
        assert_eq!(c.raw, SAMPLE);
        assert_eq!(c.fields().count(), 4);
    }

    #[test]
    fn requires_package_and_version() {
        let err = Control::parse("Package: x\nArchitecture: all\n").unwrap_err();
        assert_eq!(err.to_string(), "control file: missing Version field");
        let err = Control::parse("Version: 1\n").unwrap_err();
        assert_eq!(err.to_string(), "control file: missing Package field");
    }

    #[test]
    fn versions_follow_debian_policy() {
        for ok in [
            "1",
            "2024a-0+deb12u1",
            "1:2.36-9+deb12u14",
            "2.0~rc1",
            "1.0-1-2",
            "1:2:3-4",
            "20230311+deb12u1",
        ] {
            assert!(is_valid_version(ok), "{ok}");
        }
        for bad in [
            "",
            "a1",
            "1.0 ",
            "1.0-",
            ":1",
            "x:1",
            "1:2\u{1b}[0m",
            "1.0_1",
            "1,0",
            "1:",
            "-1",
        ] {
            assert!(!is_valid_version(bad), "{bad:?}");
        }
        let err =
            Control::parse("Package: a\nVersion: 99.0\u{1b}[2J\nArchitecture: all\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "control file: Version \"99.0\\u{1b}[2J\" is not a Debian version ([epoch:]upstream[-revision])"
        );
        let err = Control::parse("Package: a\nVersion: 1\nArchitecture: ../x\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "control file: Architecture \"../x\" is not a Debian architecture name"
        );
    }

    #[test]
    fn rejects_malformed_lines() {
        let err = Control::parse(" leading\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "control file: line 1: continuation line before any field"
        );
        let err = Control::parse("Package: a\nno colon here\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "control file: line 2: expected \"Field: value\""
        );
        let err = Control::parse("Package: a\nPackage: b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "control file: line 2: field Package appears twice"
        );
        let err = Control::parse("Package: a\n\nPackage: b\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "control file: line 2: more than one paragraph"
        );
    }
}
