//! A `.deb` as a stream: `debian-binary`, then `control.tar[.*]`, then `data.tar[.*]`.

use std::io::Read;

use crate::ar::ArReader;
use crate::compression::{member_error, Compression};
use crate::{Control, Error};

/// What `control.tar` holds that an image needs.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub control: Control,
    /// `md5sums`, as shipped (absent in some packages, e.g. ones with no files).
    pub md5sums: Option<String>,
    /// `conffiles`, as shipped.
    pub conffiles: Option<String>,
}

/// An open `.deb`, positioned at its data member.
pub struct DebReader<R: Read> {
    ar: ArReader<R>,
    metadata: Metadata,
    data_member: String,
    data_compression: Compression,
}

impl<R: Read> DebReader<R> {
    /// Reads the format version and control metadata, and stops at the data member.
    pub fn new(reader: R) -> Result<Self, Error> {
        let mut ar = ArReader::new(reader)?;
        match next_member(&mut ar)?.as_deref() {
            Some("debian-binary") => {}
            Some(other) => {
                return Err(Error::Format(format!(
                    "first member is {other:?}, not \"debian-binary\""
                )))
            }
            None => return Err(Error::Format("empty ar archive".into())),
        }
        let mut version = String::new();
        ar.member()
            .take(64)
            .read_to_string(&mut version)
            .map_err(|e| member_error("debian-binary", e))?;
        if !version.starts_with("2.") {
            return Err(Error::Format(format!(
                "unsupported package format version {:?}",
                version.trim_end()
            )));
        }

        let control_member =
            next_member(&mut ar)?.ok_or_else(|| Error::Format("no control.tar member".into()))?;
        let compression = Compression::from_member_name(&control_member, "control.tar")?;
        let metadata = read_control_tar(
            compression.decoder(ar.member(), &control_member)?,
            &control_member,
        )?;

        let data_member =
            next_member(&mut ar)?.ok_or_else(|| Error::Format("no data.tar member".into()))?;
        let data_compression = Compression::from_member_name(&data_member, "data.tar")?;
        Ok(Self {
            ar,
            metadata,
            data_member,
            data_compression,
        })
    }

    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// The name of the data member, e.g. `data.tar.xz`, for error messages.
    pub fn data_member(&self) -> &str {
        &self.data_member
    }

    /// The decompressed `data.tar` stream.
    pub fn data(&mut self) -> Result<Box<dyn Read + '_>, Error> {
        self.data_compression
            .decoder(self.ar.member(), &self.data_member)
    }
}

/// The next member, skipping the `_`-prefixed ones dpkg also ignores.
fn next_member<R: Read>(ar: &mut ArReader<R>) -> Result<Option<String>, Error> {
    loop {
        match ar.next_member()? {
            Some(name) if name.starts_with('_') => continue,
            other => return Ok(other),
        }
    }
}

fn read_control_tar(reader: impl Read, member: &str) -> Result<Metadata, Error> {
    let err = |e| member_error(member, e);
    let mut control = None;
    let mut md5sums = None;
    let mut conffiles = None;
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(err)? {
        let mut entry = entry.map_err(err)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(err)?;
        let name = path.to_string_lossy();
        let slot = match name.strip_prefix("./").unwrap_or(&name) {
            "control" => &mut control,
            "md5sums" => &mut md5sums,
            "conffiles" => &mut conffiles,
            _ => continue,
        };
        let mut text = String::new();
        entry.read_to_string(&mut text).map_err(err)?;
        *slot = Some(text);
    }
    let control = control.ok_or_else(|| Error::Member {
        member: member.to_string(),
        message: "no control file".into(),
    })?;
    Ok(Metadata {
        control: Control::parse(&control)?,
        md5sums,
        conffiles,
    })
}
