//! The little ASN.1 DER this crate needs: a strict reader for checking X.509 certificates
//! (`x509.rs`) and the writers of the PKCS#12 trust store (`keystore.rs`). Only single-byte
//! tags and definite, minimally encoded lengths are DER; anything else is refused.

use std::fmt;

pub const BOOLEAN: u8 = 0x01;
pub const INTEGER: u8 = 0x02;
pub const BIT_STRING: u8 = 0x03;
pub const OCTET_STRING: u8 = 0x04;
pub const OID: u8 = 0x06;
pub const UTC_TIME: u8 = 0x17;
pub const GENERALIZED_TIME: u8 = 0x18;
pub const SEQUENCE: u8 = 0x30;
pub const SET: u8 = 0x31;

/// Where and why DER could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerError {
    /// Byte offset in the outermost input.
    pub offset: usize,
    pub message: String,
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message)
    }
}

impl std::error::Error for DerError {}

/// One TLV: its tag, its contents and where they start in the outermost input.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub offset: usize,
}

impl<'a> Tlv<'a> {
    /// A reader over this TLV's contents (for a constructed value).
    pub fn reader(&self) -> Reader<'a> {
        Reader {
            data: self.content,
            offset: self.offset,
        }
    }

    pub fn error(&self, message: impl Into<String>) -> DerError {
        DerError {
            offset: self.offset,
            message: message.into(),
        }
    }
}

/// Reads TLVs one after the other from a byte string.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, offset: 0 }
    }

    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    fn error(&self, message: impl Into<String>) -> DerError {
        DerError {
            offset: self.offset,
            message: message.into(),
        }
    }

    /// The tag of the next TLV, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// The next TLV, whatever its tag.
    pub fn read(&mut self, what: &str) -> Result<Tlv<'a>, DerError> {
        let (&tag, rest) = self
            .data
            .split_first()
            .ok_or_else(|| self.error(format!("{what}: missing")))?;
        if tag & 0x1f == 0x1f {
            return Err(self.error(format!("{what}: multi-byte tags are not supported")));
        }
        let (&first, mut rest) = rest
            .split_first()
            .ok_or_else(|| self.error(format!("{what}: truncated length")))?;
        let len = match first {
            0..=0x7f => usize::from(first),
            0x80 => return Err(self.error(format!("{what}: indefinite length is not DER"))),
            _ => {
                let count = usize::from(first & 0x7f);
                if count > 4 || rest.len() < count {
                    return Err(self.error(format!("{what}: bad length of {count} bytes")));
                }
                let (bytes, tail) = rest.split_at(count);
                rest = tail;
                let len = bytes.iter().fold(0usize, |n, &b| n << 8 | usize::from(b));
                if bytes[0] == 0 || len < 0x80 {
                    return Err(self.error(format!("{what}: length not minimally encoded")));
                }
                len
            }
        };
        let header = self.data.len() - rest.len();
        if rest.len() < len {
            return Err(self.error(format!(
                "{what}: {len} bytes declared, {} left (truncated)",
                rest.len()
            )));
        }
        let tlv = Tlv {
            tag,
            content: &rest[..len],
            offset: self.offset + header,
        };
        self.data = &rest[len..];
        self.offset += header + len;
        Ok(tlv)
    }

    /// The next TLV, which must have tag `tag`.
    pub fn expect(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>, DerError> {
        match self.peek_tag() {
            Some(found) if found != tag => Err(self.error(format!(
                "{what}: expected tag 0x{tag:02x}, found 0x{found:02x}"
            ))),
            _ => self.read(what),
        }
    }

    /// The next TLV if it has tag `tag`.
    pub fn optional(&mut self, tag: u8, what: &str) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(tag) {
            self.read(what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails if anything is left.
    pub fn finish(&self, what: &str) -> Result<(), DerError> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(self.error(format!("{} unexpected bytes after {what}", self.data.len())))
        }
    }
}

/// A TLV with tag `tag` and `content`, DER length.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

pub fn sequence(content: &[u8]) -> Vec<u8> {
    tlv(SEQUENCE, content)
}

pub fn set(content: &[u8]) -> Vec<u8> {
    tlv(SET, content)
}

pub fn octet_string(content: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, content)
}

pub fn integer(value: u32) -> Vec<u8> {
    let mut bytes: Vec<u8> = value
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    if bytes.first().is_none_or(|&b| b & 0x80 != 0) {
        bytes.insert(0, 0);
    }
    tlv(INTEGER, &bytes)
}

pub fn bmp_string(text: &str) -> Vec<u8> {
    let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    tlv(0x1e, &utf16)
}

/// DER object identifier from dotted text (the callers' constants, so always well formed).
pub fn oid(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut body = Vec::new();
    let first = arcs.first().copied().unwrap_or(0) * 40 + arcs.get(1).copied().unwrap_or(0);
    for arc in std::iter::once(first).chain(arcs.iter().skip(2).copied()) {
        let mut chunk = vec![(arc & 0x7f) as u8];
        let mut rest = arc >> 7;
        while rest > 0 {
            chunk.push(0x80 | (rest & 0x7f) as u8);
            rest >>= 7;
        }
        body.extend(chunk.into_iter().rev());
    }
    tlv(OID, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_der_primitives() {
        assert_eq!(
            oid("1.2.840.113549.1.7.1"),
            [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]
        );
        assert_eq!(integer(3), [0x02, 0x01, 0x03]);
        assert_eq!(integer(10_000), [0x02, 0x02, 0x27, 0x10]);
        assert_eq!(integer(128), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(tlv(0x04, &[0u8; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(bmp_string("a"), [0x1e, 0x02, 0x00, b'a']);
    }

    #[test]
    fn reads_what_the_writers_write() {
        let data =
            sequence(&[integer(300), octet_string(&[7; 200]), oid("1.2.840.113549")].concat());
        let mut top = Reader::new(&data);
        let seq = top.expect(SEQUENCE, "seq").unwrap();
        top.finish("seq").unwrap();
        let mut inner = seq.reader();
        assert_eq!(inner.expect(INTEGER, "int").unwrap().content, [0x01, 0x2c]);
        let octets = inner.expect(OCTET_STRING, "octets").unwrap();
        assert_eq!((octets.content.len(), octets.offset), (200, 3 + 4 + 3));
        assert!(inner.optional(BOOLEAN, "flag").unwrap().is_none());
        assert_eq!(
            inner.expect(OID, "oid").unwrap().content,
            [0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]
        );
        assert!(inner.is_empty());
    }

    fn first_error(data: &[u8]) -> String {
        Reader::new(data).read("value").unwrap_err().to_string()
    }

    #[test]
    fn refuses_what_is_not_der() {
        assert_eq!(first_error(&[]), "at byte 0: value: missing");
        assert_eq!(first_error(&[0x30]), "at byte 0: value: truncated length");
        assert_eq!(
            first_error(&[0x30, 0x80, 0, 0]),
            "at byte 0: value: indefinite length is not DER"
        );
        assert_eq!(
            first_error(&[0x30, 0x81, 0x05, 1, 2, 3, 4, 5]),
            "at byte 0: value: length not minimally encoded"
        );
        assert_eq!(
            first_error(&[0x30, 0x82, 0x00, 0x90]),
            "at byte 0: value: length not minimally encoded"
        );
        assert_eq!(
            first_error(&[0x30, 0x85, 1, 0, 0, 0, 0]),
            "at byte 0: value: bad length of 5 bytes"
        );
        assert_eq!(
            first_error(&[0x04, 0x03, 1]),
            "at byte 0: value: 3 bytes declared, 1 left (truncated)"
        );
        assert_eq!(
            first_error(&[0x1f, 0x81, 0x00]),
            "at byte 0: value: multi-byte tags are not supported"
        );
        let mut reader = Reader::new(&[0x05, 0x00, 0x02, 0x01, 0x01]);
        assert_eq!(
            reader.expect(SEQUENCE, "seq").unwrap_err().to_string(),
            "at byte 0: seq: expected tag 0x30, found 0x05"
        );
        reader.read("null").unwrap();
        assert_eq!(
            reader.finish("the null").unwrap_err().to_string(),
            "at byte 2: 3 unexpected bytes after the null"
        );
    }
}
