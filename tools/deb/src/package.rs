//! A `.deb` as a stream: `debian-binary`, then `control.tar[.*]`, then `data.tar[.*]`.
//!
//! Every part is read to its end (so that each decompressor checks its trailer: gzip CRC and
//! length, the xz index), declared sizes are checked against what is there, and the control
//! files held in memory have fixed limits.

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

/// Largest `control` and `conffiles` read (dpkg's biggest control files are a few KiB).
pub const CONTROL_MAX: u64 = 1 << 20;
/// Largest `md5sums` read: about 300,000 files.
pub const MD5SUMS_MAX: u64 = 32 << 20;

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

    /// The decompressed `data.tar` stream; read it to its end, then call
    /// [`DebReader::finish`].
    pub fn data(&mut self) -> Result<Box<dyn Read + '_>, Error> {
        self.data_compression
            .decoder(self.ar.member(), &self.data_member)
    }

    /// Checks the rest of the archive once the data has been read: nothing of the data member
    /// left unread (bytes after the compressed stream), no member after it except dpkg's
    /// reserved `_` ones, and a clean end.
    pub fn finish(mut self) -> Result<(), Error> {
        let left = self.ar.member_left();
        if left > 0 {
            return Err(Error::Member {
                member: self.data_member,
                message: format!("{left} bytes after the end of the compressed data"),
            });
        }
        while let Some(name) = self.ar.next_member()? {
            if !name.starts_with('_') {
                return Err(Error::Format(format!(
                    "unexpected member {name:?} after {}",
                    self.data_member
                )));
            }
        }
        Ok(())
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
    let err = |message: String| Error::Member {
        member: member.to_string(),
        message,
    };
    let io = |e: std::io::Error| member_error(member, e);
    let mut control = None;
    let mut md5sums = None;
    let mut conffiles = None;
    let mut archive = tarstream::Archive::new(reader);
    while let Some(header) = archive.next_entry().map_err(|e| tar_error(member, e))? {
        let name = header.path.strip_prefix(b"./").unwrap_or(&header.path);
        let (slot, max) = match name {
            b"control" => (&mut control, CONTROL_MAX),
            b"md5sums" => (&mut md5sums, MD5SUMS_MAX),
            b"conffiles" => (&mut conffiles, CONTROL_MAX),
            _ => continue,
        };
        let shown = String::from_utf8_lossy(name).into_owned();
        if header.entry_type != tarstream::EntryType::Regular {
            return Err(err(format!(
                "{shown} is a {:?} entry, not a regular file",
                header.entry_type
            )));
        }
        if header.size > max {
            return Err(err(format!(
                "{shown} is {} bytes, more than the {max} allowed",
                header.size
            )));
        }
        if slot.is_some() {
            return Err(err(format!("two {shown} files")));
        }
        let mut bytes = Vec::new();
        archive.data().read_to_end(&mut bytes).map_err(io)?;
        let text =
            String::from_utf8(bytes).map_err(|_| err(format!("{shown} is not UTF-8 text")))?;
        *slot = Some(text);
    }
    // Read the compressed stream to its end: its checksum is only verified there.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink()).map_err(io)?;
    let control = control.ok_or_else(|| err("no control file".into()))?;
    Ok(Metadata {
        control: Control::parse(&control)?,
        md5sums,
        conffiles,
    })
}

/// A tar error of `member`, or the decoder's own error as is.
pub(crate) fn tar_error(member: &str, e: tarstream::Error) -> Error {
    match e {
        tarstream::Error::Io(e) => member_error(member, e),
        tarstream::Error::Format(message) => Error::Member {
            member: member.to_string(),
            message,
        },
    }
}
