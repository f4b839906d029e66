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
