//! Streaming reader for `ar` archives, the container of a `.deb`.
//!
//! Handles the GNU (`name/`, `//` long-name table, `/N` references) and BSD (`#1/N`, name
//! stored in front of the data) member name forms. Members are read in order, without seeking.

use std::io::{self, Read};

use crate::Error;

const GLOBAL_MAGIC: &[u8; 8] = b"!<arch>\n";
const HEADER_LEN: usize = 60;
const MAX_NAME_LEN: u64 = 4096;

/// Reads members from an `ar` stream one after the other.
pub struct ArReader<R: Read> {
    inner: R,
    /// Data bytes of the current member not consumed yet.
    data_left: u64,
    /// Whether a padding byte follows the current member's data (odd sizes).
    padded: bool,
    gnu_names: Option<Vec<u8>>,
}

impl<R: Read> ArReader<R> {
    /// Checks the global header.
    pub fn new(mut inner: R) -> Result<Self, Error> {
        let mut magic = [0u8; 8];
        if read_full(&mut inner, &mut magic)? < magic.len() || &magic != GLOBAL_MAGIC {
            return Err(Error::Ar("not an ar archive (bad signature)".into()));
        }
        Ok(Self {
            inner,
            data_left: 0,
            padded: false,
            gnu_names: None,
        })
    }

    /// Moves to the next member and returns its name, or `None` at the end of the archive.
    /// The member's data is then read with [`ArReader::member`].
    pub fn next_member(&mut self) -> Result<Option<String>, Error> {
        loop {
            self.skip_rest()?;
            let mut header = [0u8; HEADER_LEN];
            let got = read_full(&mut self.inner, &mut header)?;
            if got == 0 {
                return Ok(None);
            }
            if got < HEADER_LEN {
                return Err(Error::Ar(format!(
                    "truncated member header ({got} of {HEADER_LEN} bytes)"
                )));
            }
            if &header[58..60] != b"`\n" {
                return Err(Error::Ar("corrupt member header (bad terminator)".into()));
            }
            let raw_name = trim_spaces(&header[0..16]);
            let size = parse_decimal(&header[48..58]).ok_or_else(|| {
                Error::Ar(format!("member {:?}: bad size field", lossy(raw_name)))
            })?;
            self.data_left = size;
            self.padded = size % 2 == 1;

            match raw_name {
                b"//" => {
                    // GNU long-name table, used by later members.
                    let table = self.read_member_bytes(size, "//")?;
                    self.gnu_names = Some(table);
                }
                b"/" | b"/SYM64/" | b"__.SYMDEF" => {} // symbol tables: skipped
                _ => return self.decode_name(raw_name).map(Some),
            }
        }
    }

    /// Data bytes of the current member not read yet.
    pub fn member_left(&self) -> u64 {
        self.data_left
    }

    /// The current member's data. A member cut short by the end of the archive yields an
    /// `UnexpectedEof` error rather than a short read.
    pub fn member(&mut self) -> MemberReader<'_, R> {
        MemberReader { archive: self }
    }

    fn decode_name(&mut self, raw: &[u8]) -> Result<String, Error> {
        let bytes = if let Some(len) = raw.strip_prefix(b"#1/") {
            let len = parse_decimal(len)
                .filter(|&n| n <= self.data_left && n <= MAX_NAME_LEN)
                .ok_or_else(|| Error::Ar(format!("bad BSD long name {:?}", lossy(raw))))?;
            let mut name = self.read_member_bytes(len, "BSD long name")?;
            name.truncate(name.iter().position(|&b| b == 0).unwrap_or(name.len()));
            name
        } else if let Some(offset) = raw.strip_prefix(b"/").filter(|r| !r.is_empty()) {
            let table = self
                .gnu_names
                .as_deref()
                .ok_or_else(|| Error::Ar("GNU long name without a name table".into()))?;
            let rest = parse_decimal(offset)
                .and_then(|o| table.get(usize::try_from(o).ok()?..))
                .filter(|rest| !rest.is_empty())
                .ok_or_else(|| Error::Ar(format!("bad GNU long name {:?}", lossy(raw))))?;
            let end = rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len());
            let name = &rest[..end];
            name.strip_suffix(b"/").unwrap_or(name).to_vec()
        } else {
            raw.strip_suffix(b"/").unwrap_or(raw).to_vec()
        };
        String::from_utf8(bytes).map_err(|e| {
            Error::Ar(format!(
                "member name is not UTF-8: {:?}",
                lossy(e.as_bytes())
            ))
        })
    }

    fn read_member_bytes(&mut self, len: u64, what: &str) -> Result<Vec<u8>, Error> {
        let mut buf = Vec::new();
        self.member().take(len).read_to_end(&mut buf).map_err(|e| {
            if e.kind() == io::ErrorKind::UnexpectedEof {
                Error::Ar(format!("archive ends inside the {what}"))
            } else {
                Error::Io(e)
            }
        })?;
        Ok(buf)
    }

    fn skip_rest(&mut self) -> Result<(), Error> {
        if self.data_left > 0 {
            io::copy(&mut self.member(), &mut io::sink()).map_err(|e| match e.kind() {
                io::ErrorKind::UnexpectedEof => {
                    Error::Ar("member data runs past the end of the archive".into())
                }
                _ => Error::Io(e),
            })?;
        }
        if self.padded {
            // The padding byte after the last member is sometimes omitted: tolerate EOF here.
            let mut pad = [0u8; 1];
            read_full(&mut self.inner, &mut pad)?;
            self.padded = false;
        }
        Ok(())
    }
}

/// Reader over the data of the current `ar` member.
pub struct MemberReader<'a, R: Read> {
    archive: &'a mut ArReader<R>,
}

impl<R: Read> Read for MemberReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.archive.data_left;
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.archive.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("ar member data runs past the end of the archive ({left} bytes missing)"),
            ));
        }
        self.archive.data_left -= n as u64;
        Ok(n)
    }
}

/// Reads until `buf` is full or EOF; returns the number of bytes read.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn trim_spaces(field: &[u8]) -> &[u8] {
    let end = field.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    &field[..end]
}

fn parse_decimal(field: &[u8]) -> Option<u64> {
    let digits = trim_spaces(field);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(name: &str, size: usize) -> Vec<u8> {
        let h = format!(
            "{name:<16}{:<12}{:<6}{:<6}{:<8}{size:<10}`\n",
            0, 0, 0, 100644
        );
        assert_eq!(h.len(), HEADER_LEN);
        h.into_bytes()
    }

    fn archive(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = GLOBAL_MAGIC.to_vec();
        for (name, data) in members {
            out.extend(header(name, data.len()));
            out.extend(*data);
            if data.len() % 2 == 1 {
                out.push(b'\n');
            }
        }
        out
    }

    fn read_all(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let mut ar = ArReader::new(bytes)?;
        let mut out = Vec::new();
        while let Some(name) = ar.next_member()? {
            let mut data = Vec::new();
            ar.member().read_to_end(&mut data)?;
            out.push((name, data));
        }
        Ok(out)
    }

    #[test]
    fn reads_gnu_short_names_and_odd_sizes() {
        let bytes = archive(&[("debian-binary/", b"2.0\n"), ("control.tar.xz/", b"abc")]);
        let members = read_all(&bytes).unwrap();
        assert_eq!(members[0], ("debian-binary".into(), b"2.0\n".to_vec()));
        assert_eq!(members[1], ("control.tar.xz".into(), b"abc".to_vec()));
    }

    #[test]
    fn reads_plain_names_without_slash() {
        let bytes = archive(&[("debian-binary", b"2.0\n"), ("data.tar", b"x")]);
        let names: Vec<_> = read_all(&bytes).unwrap().into_iter().map(|m| m.0).collect();
        assert_eq!(names, ["debian-binary", "data.tar"]);
    }

    #[test]
    fn reads_gnu_long_name_table() {
        let table = b"a-very-long-member-name.tar.xz/\nsecond-long-member-name.bin/\n";
        let bytes = archive(&[("//", table), ("/32", b"two"), ("/0", b"one")]);
        let members = read_all(&bytes).unwrap();
        assert_eq!(members[0].0, "second-long-member-name.bin");
        assert_eq!(members[1].0, "a-very-long-member-name.tar.xz");
        assert_eq!(members[1].1, b"one");
    }

    #[test]
    fn reads_bsd_long_names() {
        let mut data = b"control.tar.zst\0".to_vec();
        data.extend(b"payload");
        let bytes = archive(&[("#1/16", &data)]);
        let members = read_all(&bytes).unwrap();
        assert_eq!(members[0], ("control.tar.zst".into(), b"payload".to_vec()));
    }

    #[test]
    fn rejects_bad_signature() {
        let err = read_all(b"!<arch\n").unwrap_err();
        assert_eq!(err.to_string(), "ar: not an ar archive (bad signature)");
    }

    #[test]
    fn rejects_truncated_header() {
        let mut bytes = archive(&[("debian-binary/", b"2.0\n")]);
        bytes.truncate(8 + 30);
        let err = read_all(&bytes).unwrap_err();
        assert_eq!(
            err.to_string(),
            "ar: truncated member header (30 of 60 bytes)"
        );
    }

    #[test]
    fn rejects_member_size_past_eof() {
        let mut bytes = GLOBAL_MAGIC.to_vec();
        bytes.extend(header("data.tar/", 1000));
        bytes.extend(b"short");
        let mut ar = ArReader::new(&bytes[..]).unwrap();
        assert_eq!(ar.next_member().unwrap().as_deref(), Some("data.tar"));
        let err = ar.member().read_to_end(&mut Vec::new()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let err = read_all(&bytes).unwrap_err();
        assert!(err.to_string().contains("995 bytes missing"), "{err}");
    }

    #[test]
    fn rejects_bad_size_field() {
        let mut bytes = GLOBAL_MAGIC.to_vec();
        let mut h = header("x/", 1);
        h[48..58].copy_from_slice(b"12a4      ");
        bytes.extend(h);
        let err = read_all(&bytes).unwrap_err();
        assert_eq!(err.to_string(), "ar: member \"x/\": bad size field");
    }

    #[test]
    fn rejects_dangling_gnu_reference() {
        let bytes = archive(&[("//", b"name/\n"), ("/99", b"")]);
        let err = read_all(&bytes).unwrap_err();
        assert_eq!(err.to_string(), "ar: bad GNU long name \"/99\"");
    }
}
