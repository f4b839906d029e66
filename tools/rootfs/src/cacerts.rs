//! The CA bundle `/etc/ssl/certs/ca-certificates.crt`. Debian builds it in the
//! `ca-certificates` postinst (`update-ca-certificates`), which never runs in a distroless
//! build, so it is made here from the certificates the package ships. Every certificate is
//! parsed, so that a corrupt one fails the build instead of TLS at run time.

use std::collections::BTreeMap;
use std::io::Read;

use layer::{Entry, Kind};

use crate::Error;

pub const BUNDLE_PATH: &str = "etc/ssl/certs/ca-certificates.crt";
/// The certificates read at most, together (Debian's are about 220 KB).
pub const CERTIFICATES_MAX: u64 = 16 << 20;
/// Where `ca-certificates` ships its certificates (normalised, with the trailing `/`).
pub const SOURCE_DIR: &str = "usr/share/ca-certificates/";

/// One certificate of the bundle, kept as DER for a later Java keystore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCertificate {
    /// The file it came from (normalised path in the package).
    pub path: String,
    pub der: Vec<u8>,
}

/// The bundle and the certificates in it, in bundle order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    pub bundle: Vec<u8>,
    pub certificates: Vec<CaCertificate>,
}

impl CaBundle {
    /// Reads every `*.crt` under `usr/share/ca-certificates/` from a `ca-certificates` `.deb`.
    pub fn from_deb(reader: impl Read) -> Result<Self, Error> {
        let mut deb = deb::DebReader::new(reader)?;
        let member = deb.data_member().to_string();
        let io = |error| Error::Data {
            member: member.clone(),
            error,
        };
        let mut files = Vec::new();
        let mut total = 0u64;
        let mut archive = tarstream::Archive::new(deb.data()?);
        while let Some(header) = archive.next_entry().map_err(|e| match e {
            tarstream::Error::Io(error) => io(error),
            tarstream::Error::Format(message) => Error::Deb(deb::Error::Member {
                member: member.clone(),
                message,
            }),
        })? {
            let raw_path = String::from_utf8_lossy(&header.path).into_owned();
            let Some(path) = layer::normalize_path(&raw_path)? else {
                continue;
            };
            if !path.starts_with(SOURCE_DIR) || !path.ends_with(".crt") {
                continue;
            }
            match header.entry_type {
                tarstream::EntryType::Regular => {
                    total += header.size;
                    if total > CERTIFICATES_MAX {
                        return Err(Error::CertificateFile {
                            path,
                            message: format!(
                                "the certificates are more than {CERTIFICATES_MAX} bytes together"
                            ),
                        });
                    }
                    let mut data = Vec::new();
                    archive.data().read_to_end(&mut data).map_err(io)?;
                    files.push((path, data));
                }
                tarstream::EntryType::Directory => {}
                // Skipping a link would silently drop a certificate from the bundle.
                other => {
                    return Err(Error::CertificateFile {
                        path,
                        message: format!("is a {other:?} entry, not a regular file"),
                    })
                }
            }
        }
        drop(archive);
        deb.finish()?;
        Self::from_files(files)
    }

    /// Builds the bundle from `(path, contents)` pairs of PEM files: sorted by path (byte
    /// order), each file as is, followed by a newline if it lacks one.
    pub fn from_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Result<Self, Error> {
        let mut sorted = BTreeMap::new();
        for (path, data) in files {
            if sorted.contains_key(&path) {
                return Err(Error::CertificateFile {
                    path,
                    message: "appears more than once".into(),
                });
            }
            sorted.insert(path, data);
        }
        if sorted.is_empty() {
            return Err(Error::NoCertificates);
        }
        let mut bundle = Vec::new();
        let mut certificates = Vec::new();
        for (path, data) in sorted {
            for der in parse_pem_certificates(&path, &data)? {
                certificates.push(CaCertificate {
                    path: path.clone(),
                    der,
                });
            }
            bundle.extend_from_slice(&data);
            if !data.ends_with(b"\n") {
                bundle.push(b'\n');
            }
        }
        Ok(Self {
            bundle,
            certificates,
        })
    }

    /// The number of certificates in the bundle.
    pub fn count(&self) -> usize {
        self.certificates.len()
    }

    /// `etc/ssl/certs/ca-certificates.crt`, 0644 root-owned.
    pub fn entry(&self) -> Entry {
        Entry {
            path: BUNDLE_PATH.into(),
            kind: Kind::File(self.bundle.clone().into()),
            mode: 0o644,
            uid: 0,
            gid: 0,
            implicit: false,
        }
    }
}

/// The DER of every PEM `CERTIFICATE` block of one file (at least one). Only whitespace may
/// surround the blocks, and each must be a well-formed X.509 certificate.
pub fn parse_pem_certificates(path: &str, data: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let fail = |message: String| Error::Certificate {
        path: path.to_string(),
        message,
    };
    let mut ders = Vec::new();
    let mut rest = data.trim_ascii_start();
    while !rest.is_empty() {
        let block_len = find(rest, b"-----END ")
            .map(|end| match find(&rest[end..], b"\n") {
                Some(newline) => end + newline + 1,
                None => rest.len(),
            })
            .unwrap_or(rest.len());
        let (block, tail) = rest.split_at(block_len);
        // Certificate files have no explanatory text before a block: say what was found.
        if !block.starts_with(b"-----BEGIN ") {
            let line = block.split(|&b| b == b'\n').next().unwrap_or_default();
            let line = String::from_utf8_lossy(&line[..line.len().min(40)]);
            return Err(fail(format!(
                "expected a \"-----BEGIN CERTIFICATE-----\" line, found {:?}",
                line.trim_end()
            )));
        }
        let (label, der) = crate::pem::decode_block(block.trim_ascii_end()).map_err(fail)?;
        if label != "CERTIFICATE" {
            return Err(fail(format!("PEM label is {label:?}, not \"CERTIFICATE\"")));
        }
        crate::x509::check_certificate(&der).map_err(|e| fail(format!("invalid X.509 DER {e}")))?;
        ders.push(der);
        rest = tail.trim_ascii_start();
    }
    if ders.is_empty() {
        return Err(fail("no PEM block".into()));
    }
    Ok(ders)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::io::{BufReader, Write};
    use std::process::{Command, Stdio};

    /// What `openssl` prints for `args`, given `input`.
    fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("openssl must be installed");
        child.stdin.take().unwrap().write_all(input).unwrap();
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "openssl {args:?}");
        output.stdout
    }

    fn real_bundle() -> CaBundle {
        let path = testdata::deb("ca-certificates");
        CaBundle::from_deb(BufReader::new(File::open(path).unwrap())).unwrap()
    }

    /// The `.crt` files of the package, read without this module's code.
    fn real_crt_files() -> Vec<(String, Vec<u8>)> {
        let path = testdata::deb("ca-certificates");
        let mut deb = deb::DebReader::new(BufReader::new(File::open(path).unwrap())).unwrap();
        let mut archive = tar::Archive::new(deb.data().unwrap());
        let mut files = Vec::new();
        for item in archive.entries().unwrap() {
            let mut item = item.unwrap();
            let path = item.path().unwrap().to_string_lossy().into_owned();
            let path = path.trim_start_matches("./").to_string();
            if item.header().entry_type().is_file()
                && path.starts_with("usr/share/ca-certificates/")
                && path.ends_with(".crt")
            {
                let mut data = Vec::new();
                item.read_to_end(&mut data).unwrap();
                files.push((path, data));
            }
        }
        files.sort();
        files
    }

    #[test]
    fn real_package_bundle() {
        let bundle = real_bundle();
        let files = real_crt_files();
        // Mozilla's store as of ca-certificates 20230311+deb12u1: one certificate per file.
        assert_eq!(files.len(), 142);
        assert_eq!(bundle.count(), files.len());
        assert!(files.iter().all(|(_, data)| data.ends_with(b"\n")));
        let concatenated: Vec<u8> = files.iter().flat_map(|(_, data)| data.clone()).collect();
        assert_eq!(bundle.bundle, concatenated);
        let paths: Vec<_> = bundle
            .certificates
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        let expected: Vec<_> = files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, expected);
        assert_eq!(paths[0], "usr/share/ca-certificates/mozilla/ACCVRAIZ1.crt");
        // OpenSSL decodes each file to the same DER.
        for ((path, pem), cert) in files.iter().zip(&bundle.certificates) {
            assert_eq!(
                openssl(&["x509", "-outform", "DER"], pem),
                cert.der,
                "{path}"
            );
        }
        let isrg = bundle
            .certificates
            .iter()
            .find(|c| c.path.ends_with("/ISRG_Root_X1.crt"))
            .unwrap();
        let subject = openssl(
            &[
                "x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "RFC2253",
            ],
            &isrg.der,
        );
        assert_eq!(
            String::from_utf8(subject).unwrap(),
            "subject=CN=ISRG Root X1,O=Internet Security Research Group,C=US\n"
        );

        let entry = bundle.entry();
        assert_eq!(entry.path, "etc/ssl/certs/ca-certificates.crt");
        assert_eq!((entry.mode, entry.uid, entry.gid), (0o644, 0, 0));
        assert_eq!(entry.kind, Kind::File(bundle.bundle.clone().into()));
        // Byte-identical on every run.
        assert_eq!(real_bundle(), bundle);
    }

    fn real_pem(name: &str) -> Vec<u8> {
        real_crt_files()
            .into_iter()
            .find(|(p, _)| p.ends_with(name))
            .unwrap()
            .1
    }

    #[test]
    fn sorts_by_path_and_adds_missing_newlines() {
        let a = real_pem("/ISRG_Root_X1.crt");
        let b = real_pem("/ISRG_Root_X2.crt");
        let b_trimmed = b.trim_ascii_end().to_vec();
        let both = [a.clone(), b.clone()].concat();
        let bundle = CaBundle::from_files([
            ("z/b.crt".to_string(), b_trimmed),
            ("Z/both.crt".to_string(), both.clone()),
            ("a/a.crt".to_string(), a.clone()),
        ])
        .unwrap();
        // Byte order: uppercase before lowercase.
        assert_eq!(bundle.bundle, [both, a, b].concat());
        let paths: Vec<_> = bundle
            .certificates
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(paths, ["Z/both.crt", "Z/both.crt", "a/a.crt", "z/b.crt"]);
    }

    fn err(path: &str, data: &[u8]) -> String {
        CaBundle::from_files([(path.to_string(), data.to_vec())])
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn rejects_malformed_base64() {
        let pem = "-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n";
        assert_eq!(
            err("usr/share/ca-certificates/local/bad.crt", pem.as_bytes()),
            "usr/share/ca-certificates/local/bad.crt: malformed certificate: \
             PEM base64: invalid character '*' at 3"
        );
    }

    #[test]
    fn rejects_non_certificate_der() {
        // Valid PEM around the DER of `INTEGER 1`.
        let pem = "-----BEGIN CERTIFICATE-----\nAgEB\n-----END CERTIFICATE-----\n";
        assert_eq!(
            err("local/int.crt", pem.as_bytes()),
            "local/int.crt: malformed certificate: invalid X.509 DER at byte 0: \
             Certificate: expected tag 0x30, found 0x02"
        );
    }

    #[test]
    fn rejects_truncated_certificate() {
        let pem = real_pem("/ISRG_Root_X1.crt");
        let text = String::from_utf8(pem).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        lines.remove(5);
        let truncated = lines.join("\n");
        let message = err("local/cut.crt", truncated.as_bytes());
        assert!(
            message.starts_with("local/cut.crt: malformed certificate: invalid X.509 DER at byte "),
            "{message}"
        );
    }

    #[test]
    fn rejects_other_pem_labels() {
        let pem = "-----BEGIN PRIVATE KEY-----\nAgEB\n-----END PRIVATE KEY-----\n";
        assert_eq!(
            err("local/key.crt", pem.as_bytes()),
            "local/key.crt: malformed certificate: PEM label is \"PRIVATE KEY\", not \"CERTIFICATE\""
        );
    }

    #[test]
    fn rejects_text_and_empty_files() {
        assert_eq!(
            err("local/empty.crt", b" \n"),
            "local/empty.crt: malformed certificate: no PEM block"
        );
        assert_eq!(
            err("local/readme.crt", b"hello\n"),
            "local/readme.crt: malformed certificate: \
             expected a \"-----BEGIN CERTIFICATE-----\" line, found \"hello\""
        );
        let mut pem = real_pem("/ISRG_Root_X1.crt");
        pem.extend_from_slice(b"trailing text\n");
        assert_eq!(
            err("local/tail.crt", &pem),
            "local/tail.crt: malformed certificate: \
             expected a \"-----BEGIN CERTIFICATE-----\" line, found \"trailing text\""
        );
    }

    #[test]
    fn rejects_duplicates_and_nothing() {
        let pem = real_pem("/ISRG_Root_X1.crt");
        let e = CaBundle::from_files([
            ("a.crt".to_string(), pem.clone()),
            ("a.crt".to_string(), pem),
        ])
        .unwrap_err();
        assert_eq!(e.to_string(), "a.crt: appears more than once");
        let e = CaBundle::from_files(Vec::new()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no certificates: no .crt file under usr/share/ca-certificates/"
        );
    }

    /// A minimal `.deb`: ar with uncompressed control and data tars.
    fn deb(data: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
        fn tar_of(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
            let mut builder = tar::Builder::new(Vec::new());
            for (path, kind, body) in entries {
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(*kind);
                header.set_mode(0o644);
                if *kind == tar::EntryType::Symlink {
                    header.set_size(0);
                    builder.append_link(&mut header, path, "other.crt").unwrap();
                } else {
                    header.set_size(body.len() as u64);
                    builder.append_data(&mut header, path, *body).unwrap();
                }
            }
            builder.into_inner().unwrap()
        }
        let control = tar_of(&[(
            "./control",
            tar::EntryType::Regular,
            b"Package: ca-certificates\nVersion: 1\nArchitecture: all\n",
        )]);
        let data = tar_of(data);
        let mut out = b"!<arch>\n".to_vec();
        for (name, body) in [
            ("debian-binary", &b"2.0\n"[..]),
            ("control.tar", &control),
            ("data.tar", &data),
        ] {
            out.extend(
                format!(
                    "{name:<16}{:<12}{:<6}{:<6}{:<8}{:<10}`\n",
                    0,
                    0,
                    0,
                    100644,
                    body.len()
                )
                .bytes(),
            );
            out.extend(body);
            if body.len() % 2 == 1 {
                out.push(b'\n');
            }
        }
        out
    }

    #[test]
    fn from_deb_selects_crt_files_recursively() {
        let pem = real_pem("/ISRG_Root_X1.crt");
        let bytes = deb(&[
            (
                "./usr/share/ca-certificates/",
                tar::EntryType::Directory,
                b"",
            ),
            (
                "./usr/share/ca-certificates/b/deep/x.crt",
                tar::EntryType::Regular,
                &pem,
            ),
            (
                "./usr/share/ca-certificates/a.crt",
                tar::EntryType::Regular,
                &pem,
            ),
            (
                "./usr/share/ca-certificates/notes.txt",
                tar::EntryType::Regular,
                b"hi",
            ),
            (
                "./usr/share/doc/x.crt",
                tar::EntryType::Regular,
                b"not read",
            ),
        ]);
        let bundle = CaBundle::from_deb(&bytes[..]).unwrap();
        assert_eq!(bundle.bundle, [pem.clone(), pem].concat());
        let paths: Vec<_> = bundle
            .certificates
            .iter()
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "usr/share/ca-certificates/a.crt",
                "usr/share/ca-certificates/b/deep/x.crt"
            ]
        );
    }

    #[test]
    fn from_deb_names_malformed_file() {
        let bytes = deb(&[(
            "./usr/share/ca-certificates/local/bad.crt",
            tar::EntryType::Regular,
            b"-----BEGIN CERTIFICATE-----\nAgEB\n-----END CERTIFICATE-----\n",
        )]);
        assert_eq!(
            CaBundle::from_deb(&bytes[..]).unwrap_err().to_string(),
            "usr/share/ca-certificates/local/bad.crt: malformed certificate: \
             invalid X.509 DER at byte 0: Certificate: expected tag 0x30, found 0x02"
        );
    }

    #[test]
    fn from_deb_rejects_linked_certificates() {
        let bytes = deb(&[(
            "./usr/share/ca-certificates/l.crt",
            tar::EntryType::Symlink,
            b"",
        )]);
        assert_eq!(
            CaBundle::from_deb(&bytes[..]).unwrap_err().to_string(),
            "usr/share/ca-certificates/l.crt: is a Symlink entry, not a regular file"
        );
    }
}
