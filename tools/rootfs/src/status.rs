//! dpkg metadata for scanners: distroless images have no `/var/lib/dpkg/status` database, so
//! each package gets `var/lib/dpkg/status.d/<package>` (its control file) and
//! `<package>.md5sums`, the layout syft, trivy and grype read.

use deb::Metadata;
use layer::{Entry, Kind};

use crate::Error;

pub const STATUS_DIR: &str = "var/lib/dpkg/status.d";

const STATUS_LINE: &str = "Status: install ok installed\n";

/// Fields of dpkg's status database that a package's control file never has.
const DATABASE_FIELDS: [&str; 5] = [
    "Status",
    "Config-Version",
    "Conffiles",
    "Triggers-Pending",
    "Triggers-Awaited",
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusOptions {
    /// Inserts `Status: install ok installed` after the `Package:` line, for scanners that
    /// skip paragraphs without it (a `.deb` control file never has one).
    pub add_status_field: bool,
}

/// The `status.d` files of one package, control file first.
pub fn status_entries(metadata: &Metadata, options: StatusOptions) -> Result<Vec<Entry>, Error> {
    let control = &metadata.control;
    let package = control.package();
    if !is_valid_package_name(package) {
        return Err(Error::PackageName {
            package: package.to_string(),
        });
    }
    let fail = |message: &str| Error::Status {
        package: package.to_string(),
        message: message.to_string(),
    };
    // These say how dpkg installed a package: only its database has them, never a .deb, and
    // copied verbatim they would tell scanners what the package wants them to believe.
    for field in DATABASE_FIELDS {
        if control.get(field).is_some() {
            return Err(fail(&format!(
                "control file has a {field} field, which only dpkg's database has"
            )));
        }
    }
    let text = if options.add_status_field {
        insert_status(&control.raw).ok_or_else(|| fail("control file has no Package line"))?
    } else {
        control.raw.clone()
    };
    let mut entries = vec![file(format!("{STATUS_DIR}/{package}"), text)];
    if let Some(md5sums) = &metadata.md5sums {
        entries.push(file(
            format!("{STATUS_DIR}/{package}.md5sums"),
            md5sums.clone(),
        ));
    }
    Ok(entries)
}

/// Debian policy 5.6.1: `[a-z0-9][a-z0-9+.-]+`. Rules out `/`, `..`-only names and empties.
pub fn is_valid_package_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() >= 2
        && (bytes[0].is_ascii_lowercase() || bytes[0].is_ascii_digit())
        && bytes[1..]
            .iter()
            .all(|&b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+.-".contains(&b))
}

/// `raw` with the status line after the first (non-continuation) `Package:` line.
fn insert_status(raw: &str) -> Option<String> {
    let mut offset = 0;
    for line in raw.split_inclusive('\n') {
        offset += line.len();
        let is_package = !line.starts_with([' ', '\t'])
            && line
                .split_once(':')
                .is_some_and(|(name, _)| name.eq_ignore_ascii_case("Package"));
        if is_package {
            let mut out = String::with_capacity(raw.len() + STATUS_LINE.len() + 1);
            out.push_str(&raw[..offset]);
            if !line.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(STATUS_LINE);
            out.push_str(&raw[offset..]);
            return Some(out);
        }
    }
    None
}

fn file(path: String, text: String) -> Entry {
    Entry {
        path,
        kind: Kind::File(text.into_bytes().into()),
        mode: 0o644,
        uid: 0,
        gid: 0,
        implicit: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use deb::Control;

    const CONTROL: &str = "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n\
Description: time zone and daylight-saving time data\n This package contains data.\n";

    fn metadata(control: &str, md5sums: Option<&str>) -> Metadata {
        Metadata {
            control: Control::parse(control).unwrap(),
            md5sums: md5sums.map(str::to_string),
            conffiles: None,
        }
    }

    fn text(entry: &Entry) -> String {
        match &entry.kind {
            Kind::File(content) => String::from_utf8(content.to_vec(1 << 20).unwrap()).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn control_verbatim_and_md5sums() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e  usr/share/zoneinfo/UTC\n";
        let entries =
            status_entries(&metadata(CONTROL, Some(md5)), StatusOptions::default()).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].path, "var/lib/dpkg/status.d/tzdata");
        assert_eq!(text(&entries[0]), CONTROL);
        assert_eq!(entries[1].path, "var/lib/dpkg/status.d/tzdata.md5sums");
        assert_eq!(text(&entries[1]), md5);
        for e in &entries {
            assert_eq!((e.mode, e.uid, e.gid, e.implicit), (0o644, 0, 0, false));
        }
    }

    #[test]
    fn no_md5sums_entry_without_md5sums() {
        let entries = status_entries(&metadata(CONTROL, None), StatusOptions::default()).unwrap();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn inserts_status_after_package() {
        let options = StatusOptions {
            add_status_field: true,
        };
        let entries = status_entries(&metadata(CONTROL, None), options).unwrap();
        assert_eq!(
            text(&entries[0]),
            "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\n\
Architecture: all\nDescription: time zone and daylight-saving time data\n \
This package contains data.\n"
        );
        // Package need not come first, nor end with a newline.
        let odd = "Version: 1\nArchitecture: all\npackage: x11-common";
        let entries = status_entries(&metadata(odd, None), options).unwrap();
        assert_eq!(
            text(&entries[0]),
            "Version: 1\nArchitecture: all\npackage: x11-common\nStatus: install ok installed\n"
        );
    }

    #[test]
    fn rejects_database_fields_in_control_files() {
        for add_status_field in [false, true] {
            let options = StatusOptions { add_status_field };
            let control = format!("{CONTROL}Status: purge ok not-installed\n");
            assert_eq!(
                status_entries(&metadata(&control, None), options)
                    .unwrap_err()
                    .to_string(),
                "package \"tzdata\": control file has a Status field, which only dpkg's database has"
            );
        }
        let control = format!("{CONTROL}Config-Version: 1\n");
        assert!(status_entries(&metadata(&control, None), StatusOptions::default()).is_err());
    }

    #[test]
    fn rejects_path_traversal_in_package_name() {
        let hostile = "Package: ../../../etc/passwd\nVersion: 1\nArchitecture: all\n";
        assert_eq!(
            status_entries(&metadata(hostile, None), StatusOptions::default())
                .unwrap_err()
                .to_string(),
            "package name \"../../../etc/passwd\" is not a valid Debian package name"
        );
    }

    #[test]
    fn package_name_rule() {
        for ok in [
            "libc6",
            "g++",
            "libstdc++6",
            "0ad",
            "python3.11",
            "x11-common",
        ] {
            assert!(is_valid_package_name(ok), "{ok}");
        }
        for bad in [
            "", "a", "Libc6", "-x", "+x", ".x", "..", "a/b", "a_b", "a b", "a:amd64",
        ] {
            assert!(!is_valid_package_name(bad), "{bad}");
        }
    }

    #[test]
    fn real_package() {
        let path = testdata::deb("ca-certificates");
        let file = std::fs::File::open(path).unwrap();
        let deb = deb::DebReader::new(std::io::BufReader::new(file)).unwrap();
        let entries = status_entries(deb.metadata(), StatusOptions::default()).unwrap();
        let names: Vec<_> = entries.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            names,
            [
                "var/lib/dpkg/status.d/ca-certificates",
                "var/lib/dpkg/status.d/ca-certificates.md5sums"
            ]
        );
        let control = text(&entries[0]);
        assert!(
            control.starts_with("Package: ca-certificates\n"),
            "{control}"
        );
        assert!(
            control.contains("\nVersion: 20230311+deb12u1\n"),
            "{control}"
        );
        assert!(text(&entries[1])
            .lines()
            .any(|l| l.ends_with("  usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt")));
    }
}
