//! The shape of an X.509 certificate (RFC 5280 section 4.1), checked in DER: every field in
//! its place with its type, nothing missing, nothing extra. Signatures and meanings are not
//! checked: this catches a corrupt or truncated file at build time, not an untrusted CA.

use crate::der::{
    DerError, Reader, Tlv, BIT_STRING, BOOLEAN, GENERALIZED_TIME, INTEGER, OCTET_STRING, OID,
    SEQUENCE, SET, UTC_TIME,
};

const VERSION: u8 = 0xa0; // [0] EXPLICIT
const ISSUER_UNIQUE_ID: u8 = 0x81; // [1] IMPLICIT BIT STRING
const SUBJECT_UNIQUE_ID: u8 = 0x82; // [2] IMPLICIT BIT STRING
const EXTENSIONS: u8 = 0xa3; // [3] EXPLICIT

/// Checks that `der` is exactly one well-formed certificate.
pub fn check_certificate(der: &[u8]) -> Result<(), DerError> {
    let mut top = Reader::new(der);
    let certificate = top.expect(SEQUENCE, "Certificate")?;
    top.finish("the certificate")?;
    let mut fields = certificate.reader();
    tbs_certificate(fields.expect(SEQUENCE, "tbsCertificate")?)?;
    algorithm_identifier(fields.expect(SEQUENCE, "signatureAlgorithm")?)?;
    bit_string(fields.expect(BIT_STRING, "signatureValue")?)?;
    fields.finish("signatureValue")
}

fn tbs_certificate(tbs: Tlv) -> Result<(), DerError> {
    let mut fields = tbs.reader();
    if let Some(version) = fields.optional(VERSION, "version")? {
        let mut inner = version.reader();
        let value = integer(inner.expect(INTEGER, "version")?)?;
        inner.finish("version")?;
        // v2 and v3 only: DER leaves out a v1 version (its default).
        if !matches!(value.content, [1] | [2]) {
            return Err(value.error("version: not v2 or v3"));
        }
    }
    integer(fields.expect(INTEGER, "serialNumber")?)?;
    algorithm_identifier(fields.expect(SEQUENCE, "signature")?)?;
    name(fields.expect(SEQUENCE, "issuer")?)?;
    let mut validity = fields.expect(SEQUENCE, "validity")?.reader();
    time(validity.read("notBefore")?)?;
    time(validity.read("notAfter")?)?;
    validity.finish("notAfter")?;
    name(fields.expect(SEQUENCE, "subject")?)?;
    let mut key = fields.expect(SEQUENCE, "subjectPublicKeyInfo")?.reader();
    algorithm_identifier(key.expect(SEQUENCE, "algorithm")?)?;
    bit_string(key.expect(BIT_STRING, "subjectPublicKey")?)?;
    key.finish("subjectPublicKey")?;
    for (tag, what) in [
        (ISSUER_UNIQUE_ID, "issuerUniqueID"),
        (SUBJECT_UNIQUE_ID, "subjectUniqueID"),
    ] {
        if let Some(id) = fields.optional(tag, what)? {
            bit_string(id)?;
        }
    }
    if let Some(extensions) = fields.optional(EXTENSIONS, "extensions")? {
        let mut outer = extensions.reader();
        let list = outer.expect(SEQUENCE, "extensions")?;
        outer.finish("extensions")?;
        let mut list = list.reader();
        if list.is_empty() {
            return Err(list.expect(SEQUENCE, "extension").unwrap_err());
        }
        while !list.is_empty() {
            let mut extension = list.expect(SEQUENCE, "extension")?.reader();
            object_identifier(extension.expect(OID, "extnID")?)?;
            if let Some(critical) = extension.optional(BOOLEAN, "critical")? {
                if critical.content != [0xff] {
                    return Err(critical.error("critical: not a DER TRUE"));
                }
            }
            extension.expect(OCTET_STRING, "extnValue")?;
            extension.finish("extnValue")?;
        }
    }
    fields.finish("the last field of tbsCertificate")
}

fn algorithm_identifier(algorithm: Tlv) -> Result<(), DerError> {
    let mut fields = algorithm.reader();
    object_identifier(fields.expect(OID, "algorithm")?)?;
    if !fields.is_empty() {
        fields.read("parameters")?;
    }
    fields.finish("parameters")
}

/// `SEQUENCE OF SET OF SEQUENCE { type OID, value ANY }`.
fn name(name: Tlv) -> Result<(), DerError> {
    let mut rdns = name.reader();
    while !rdns.is_empty() {
        let rdn = rdns.expect(SET, "relative distinguished name")?;
        let mut attributes = rdn.reader();
        if attributes.is_empty() {
            return Err(rdn.error("empty relative distinguished name"));
        }
        while !attributes.is_empty() {
            let mut attribute = attributes.expect(SEQUENCE, "attribute")?.reader();
            object_identifier(attribute.expect(OID, "attribute type")?)?;
            attribute.read("attribute value")?;
            attribute.finish("attribute value")?;
        }
    }
    Ok(())
}

fn time(time: Tlv) -> Result<(), DerError> {
    let digits = match time.tag {
        UTC_TIME => 12,
        GENERALIZED_TIME => 14,
        other => return Err(time.error(format!("expected a time, found tag 0x{other:02x}"))),
    };
    match time.content.split_last() {
        Some((b'Z', rest)) if rest.len() == digits && rest.iter().all(u8::is_ascii_digit) => Ok(()),
        _ => Err(time.error(format!(
            "time {:?} is not {digits} digits and Z",
            String::from_utf8_lossy(time.content)
        ))),
    }
}

fn integer(value: Tlv) -> Result<Tlv, DerError> {
    match value.content {
        [] => Err(value.error("empty INTEGER")),
        [0x00, next, ..] if next & 0x80 == 0 => Err(value.error("INTEGER not minimally encoded")),
        [0xff, next, ..] if next & 0x80 != 0 => Err(value.error("INTEGER not minimally encoded")),
        _ => Ok(value),
    }
}

fn bit_string(value: Tlv) -> Result<(), DerError> {
    match value.content {
        [unused, rest @ ..] if *unused <= 7 && (*unused == 0 || !rest.is_empty()) => Ok(()),
        _ => Err(value.error("malformed BIT STRING")),
    }
}

fn object_identifier(value: Tlv) -> Result<(), DerError> {
    let content = value.content;
    // Each arc ends with a byte below 0x80 and does not start with 0x80 (a leading zero).
    let starts_ok = content
        .iter()
        .enumerate()
        .all(|(i, &b)| b != 0x80 || (i > 0 && content[i - 1] & 0x80 != 0));
    match content.last() {
        Some(&last) if last & 0x80 == 0 && starts_ok => Ok(()),
        _ => Err(value.error("malformed OBJECT IDENTIFIER")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::der::{integer as der_integer, oid, sequence, set, tlv};

    /// A certificate built field by field, with `tweak` applied to the tbsCertificate fields.
    fn certificate(tweak: impl FnOnce(&mut Vec<Vec<u8>>)) -> Vec<u8> {
        let algorithm = sequence(&[oid("1.2.840.10045.4.3.2")].concat());
        let name = sequence(&set(&sequence(
            &[oid("2.5.4.3"), tlv(0x0c, b"rules_debimage test")].concat(),
        )));
        let mut fields = vec![
            tlv(VERSION, &der_integer(2)),
            der_integer(0x1234),
            algorithm.clone(),
            name.clone(),
            sequence(
                &[
                    tlv(UTC_TIME, b"260101000000Z"),
                    tlv(GENERALIZED_TIME, b"20360101000000Z"),
                ]
                .concat(),
            ),
            name,
            sequence(&[algorithm.clone(), tlv(BIT_STRING, &[0, 4, 1, 2])].concat()),
            tlv(
                EXTENSIONS,
                &sequence(&sequence(
                    &[
                        oid("2.5.29.19"),
                        tlv(BOOLEAN, &[0xff]),
                        tlv(OCTET_STRING, &[0x30, 0]),
                    ]
                    .concat(),
                )),
            ),
        ];
        tweak(&mut fields);
        sequence(
            &[
                sequence(&fields.concat()),
                algorithm,
                tlv(BIT_STRING, &[0, 9, 9]),
            ]
            .concat(),
        )
    }

    #[test]
    fn accepts_a_well_formed_certificate() {
        check_certificate(&certificate(|_| {})).unwrap();
        // v1: no version, no extensions.
        check_certificate(&certificate(|f| {
            f.remove(7);
            f.remove(0);
        }))
        .unwrap();
    }

    fn error(tweak: impl FnOnce(&mut Vec<Vec<u8>>)) -> String {
        check_certificate(&certificate(tweak)).unwrap_err().message
    }

    #[test]
    fn refuses_misshapen_certificates() {
        assert_eq!(
            error(|f| f[0] = tlv(VERSION, &der_integer(0))),
            "version: not v2 or v3"
        );
        assert_eq!(
            error(|f| f[1] = tlv(INTEGER, &[0, 1])),
            "INTEGER not minimally encoded"
        );
        assert_eq!(error(|f| f[1] = tlv(INTEGER, &[])), "empty INTEGER");
        assert_eq!(
            error(|f| {
                f.remove(4);
            }),
            "expected a time, found tag 0x31"
        );
        assert_eq!(
            error(|f| f[4] = sequence(&tlv(UTC_TIME, b"260101000000Z"))),
            "notAfter: missing"
        );
        assert_eq!(
            error(|f| f[4] = sequence(&tlv(UTC_TIME, b"2601010000Z").repeat(2))),
            "time \"2601010000Z\" is not 12 digits and Z"
        );
        assert_eq!(
            error(|f| f[5] = sequence(&set(&[]))),
            "empty relative distinguished name"
        );
        assert_eq!(
            error(|f| f[6] = sequence(&[sequence(&oid("1.2")), tlv(BIT_STRING, &[8, 0])].concat())),
            "malformed BIT STRING"
        );
        assert_eq!(
            error(|f| f[2] = sequence(&tlv(OID, &[0x2a, 0x80, 0x01]))),
            "malformed OBJECT IDENTIFIER"
        );
        assert_eq!(
            error(|f| f[7] = tlv(EXTENSIONS, &sequence(&[]))),
            "extension: missing"
        );
        assert_eq!(
            error(|f| f.push(der_integer(1))),
            "3 unexpected bytes after the last field of tbsCertificate"
        );
        let mut trailing = certificate(|_| {});
        trailing.push(0);
        assert_eq!(
            check_certificate(&trailing).unwrap_err().message,
            "1 unexpected bytes after the certificate"
        );
        let whole = certificate(|_| {});
        for cut in [1, whole.len() / 2, whole.len() - 1] {
            assert!(check_certificate(&whole[..cut]).is_err(), "cut at {cut}");
        }
    }
}
