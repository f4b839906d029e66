//! `debimage sbom`: an SPDX 2.3 JSON document of one or more images (e.g. the platforms of an
//! index): every Debian package in their dpkg `status.d`, and every layer.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use layer::{Entry, Kind, Layer};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::output::write_atomically;

#[derive(clap::Args)]
pub struct SbomArgs {
    /// A single-platform OCI image layout (repeatable: one per platform of an index).
    #[arg(long = "image", required = true)]
    images: Vec<PathBuf>,
    /// The document's name, e.g. the Bazel target.
    #[arg(long)]
    name: String,
    /// A debimage-lock lockfile: adds each .deb's sha256 and download URL.
    #[arg(long)]
    lock: Option<PathBuf>,
    /// The SPDX JSON file to write.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Deserialize)]
struct Lock {
    packages: Vec<LockedPackage>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    arch: String,
    sha256: String,
    urls: Vec<String>,
}

/// How much of a copyright file is read for its license.
const COPYRIGHT_PREFIX: u64 = 4 << 20;

/// Debian copyright short names with an SPDX equivalent.
const SPDX_IDS: [(&str, &str); 22] = [
    ("GPL-2", "GPL-2.0-only"),
    ("GPL-2+", "GPL-2.0-or-later"),
    ("GPL-3", "GPL-3.0-only"),
    ("GPL-3+", "GPL-3.0-or-later"),
    ("LGPL-2", "LGPL-2.0-only"),
    ("LGPL-2+", "LGPL-2.0-or-later"),
    ("LGPL-2.1", "LGPL-2.1-only"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("LGPL-3", "LGPL-3.0-only"),
    ("LGPL-3+", "LGPL-3.0-or-later"),
    ("BSD-2-clause", "BSD-2-Clause"),
    ("BSD-3-clause", "BSD-3-Clause"),
    ("BSD-4-clause", "BSD-4-Clause"),
    ("Expat", "MIT"),
    ("MIT", "MIT"),
    ("ISC", "ISC"),
    ("Zlib", "Zlib"),
    ("Apache-2.0", "Apache-2.0"),
    ("MPL-2.0", "MPL-2.0"),
    ("Artistic", "Artistic-1.0-Perl"),
    ("OpenSSL", "OpenSSL"),
    ("CC0-1.0", "CC0-1.0"),
];

pub fn run(args: SbomArgs) -> Result<()> {
    let lock: Vec<LockedPackage> = match &args.lock {
        Some(path) => {
            let file =
                File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
            let lock: Lock = serde_json::from_reader(BufReader::new(file))
                .with_context(|| format!("{}: not a lockfile", path.display()))?;
            lock.packages
        }
        None => Vec::new(),
    };
    let mut packages = Vec::new();
    let mut relationships = Vec::new();
    let mut license_refs = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut digests = Vec::new();
    for (i, dir) in args.images.iter().enumerate() {
        let image = oci::read_image(dir).with_context(|| dir.display().to_string())?;
        let files = crate::image_fs::merged_filesystem(&image)?;
        let manifest = image.manifest_digest();
        digests.push(manifest.clone());
        let arch = image.config.architecture.clone();
        let image_id = format!("SPDXRef-Image-{i}-{}", spdx_safe(&arch));
        packages.push(json!({
            "SPDXID": image_id,
            "name": format!("{} ({arch})", args.name),
            "versionInfo": manifest,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "CONTAINER",
            "checksums": [{"algorithm": "SHA256", "checksumValue": hex_of(&manifest)}],
        }));
        relationships.push(rel("SPDXRef-DOCUMENT", "DESCRIBES", &image_id));
        for (n, layer) in image.layers.iter().enumerate() {
            let id = format!("SPDXRef-Layer-{}", hex_of(&layer.digest));
            if seen.insert(id.clone()) {
                packages.push(json!({
                    "SPDXID": id,
                    "name": format!("layer {n} of {}", args.name),
                    "versionInfo": layer.digest,
                    "downloadLocation": "NOASSERTION",
                    "filesAnalyzed": false,
                    "checksums": [{"algorithm": "SHA256", "checksumValue": hex_of(&layer.digest)}],
                }));
            }
            relationships.push(rel(&image_id, "CONTAINS", &id));
        }
        for entry in files.entries() {
            let control_path = &entry.path;
            let Some(name) = control_path.strip_prefix("var/lib/dpkg/status.d/") else {
                continue;
            };
            let Kind::File(content) = &entry.kind else {
                continue;
            };
            if name.contains('/') || name.ends_with(".md5sums") {
                continue;
            }
            let data = content
                .to_vec(deb::CONTROL_MAX)
                .with_context(|| format!("{}: /{control_path}", dir.display()))?;
            let control = deb::Control::parse(&String::from_utf8_lossy(&data))
                .with_context(|| format!("{}: /{control_path}", dir.display()))?;
            let (name, version, deb_arch) =
                (control.package(), control.version(), control.architecture());
            let id = format!(
                "SPDXRef-Package-deb-{}-{}-{}",
                spdx_safe(name),
                spdx_safe(version),
                spdx_safe(deb_arch)
            );
            relationships.push(rel(&image_id, "CONTAINS", &id));
            if !seen.insert(id.clone()) {
                continue;
            }
            let source = control
                .get("Source")
                .map(|s| s.split(' ').next().unwrap_or(s))
                .unwrap_or(name);
            let license = declared_license(&files, name, &mut license_refs);
            let locked = lock
                .iter()
                .find(|p| p.name == name && p.version == version && p.arch == deb_arch);
            let mut package = json!({
                "SPDXID": id,
                "name": name,
                "versionInfo": version,
                "supplier": "Organization: Debian",
                "downloadLocation": locked.and_then(|p| p.urls.first()).map_or("NOASSERTION", |u| u.as_str()),
                "filesAnalyzed": false,
                "licenseConcluded": "NOASSERTION",
                "licenseDeclared": license,
                "copyrightText": "NOASSERTION",
                "sourceInfo": format!("built package from: {source}"),
                "externalRefs": [{
                    "referenceCategory": "PACKAGE-MANAGER",
                    "referenceType": "purl",
                    "referenceLocator": purl(name, version, deb_arch, source),
                }],
            });
            if let Some(p) = locked {
                package["checksums"] = json!([{"algorithm": "SHA256", "checksumValue": p.sha256}]);
            }
            packages.push(package);
        }
    }
    let document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": args.name,
        "documentNamespace": format!("https://spdx.org/spdxdocs/rules-debimage/{}-{}", spdx_safe(&args.name), hex_of(&oci::sha256_digest(digests.join(",").as_bytes()))),
        "creationInfo": {
            "created": "1970-01-01T00:00:00Z",
            "creators": [format!("Tool: debimage-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": relationships,
        "hasExtractedLicensingInfos": license_refs.iter().map(|(id, name)| json!({
            "licenseId": id,
            "name": name,
            "extractedText": format!("The Debian license \"{name}\"; see the package's /usr/share/doc/<package>/copyright."),
        })).collect::<Vec<Value>>(),
    });
    write_atomically(&args.out, |file| {
        serde_json::to_writer_pretty(&mut *file, &document)?;
        Ok(file.write_all(b"\n")?)
    })
}

fn rel(a: &str, kind: &str, b: &str) -> Value {
    json!({"spdxElementId": a, "relationshipType": kind, "relatedSpdxElement": b})
}

fn hex_of(digest: &str) -> &str {
    digest.split_once(':').map_or(digest, |(_, h)| h)
}

/// SPDX identifiers allow letters, digits, `.` and `-`.
fn spdx_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn purl(name: &str, version: &str, arch: &str, source: &str) -> String {
    let enc = |s: &str| {
        s.replace('%', "%25")
            .replace('+', "%2B")
            .replace(':', "%3A")
            .replace('~', "%7E")
    };
    let mut purl = format!(
        "pkg:deb/debian/{}@{}?arch={arch}&distro=debian-12",
        enc(name),
        enc(version)
    );
    if source != name {
        purl.push_str(&format!("&upstream={}", enc(source)));
    }
    purl
}

/// The license of the `Files: *` paragraph of a DEP-5 copyright file, as an SPDX identifier
/// (or a LicenseRef recorded in `refs`); NOASSERTION when there is none.
fn declared_license(files: &Layer, package: &str, refs: &mut BTreeSet<(String, String)>) -> String {
    let mut doc = format!("usr/share/doc/{package}");
    if let Some(Entry {
        kind: Kind::Symlink(target),
        ..
    }) = files.get(&doc)
    {
        doc = format!("usr/share/doc/{}", target.trim_start_matches("./"));
    }
    let Some(Entry {
        kind: Kind::File(content),
        ..
    }) = files.get(&format!("{doc}/copyright"))
    else {
        return "NOASSERTION".into();
    };
    // The header and the `Files: *` paragraph come first: a prefix is enough.
    let mut text = Vec::new();
    let read = content
        .reader()
        .and_then(|r| r.take(COPYRIGHT_PREFIX).read_to_end(&mut text));
    if read.is_err() {
        return "NOASSERTION".into();
    }
    let text = String::from_utf8_lossy(&text);
    if !text.starts_with("Format:") {
        return "NOASSERTION".into();
    }
    let license = text
        .split("\n\n")
        .find(|p| p.lines().any(|l| l.trim() == "Files: *"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("License:")))
        .map(str::trim)
        .filter(|l| !l.is_empty());
    let Some(license) = license else {
        return "NOASSERTION".into();
    };
    if let Some((_, id)) = SPDX_IDS.iter().find(|(debian, _)| *debian == license) {
        return id.to_string();
    }
    let id = format!("LicenseRef-Debian-{}", spdx_safe(license));
    refs.insert((id.clone(), license.to_string()));
    id
}
