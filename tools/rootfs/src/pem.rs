//! PEM blocks (RFC 7468, strict): `-----BEGIN <label>-----`, base64 lines, and the
//! matching `-----END <label>-----`.

/// Decodes one block (surrounding whitespace already trimmed) to its label and bytes.
pub fn decode_block(block: &[u8]) -> Result<(String, Vec<u8>), String> {
    let text = std::str::from_utf8(block).map_err(|_| "PEM block is not ASCII text".to_string())?;
    let mut lines = text.lines().map(|line| line.trim_end_matches('\r'));
    let first = lines.next().unwrap_or_default();
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| format!("bad PEM begin line {first:?}"))?;
    let mut body = String::new();
    let mut ended = false;
    for line in lines.by_ref() {
        if let Some(end) = line.strip_prefix("-----END ") {
            if end.strip_suffix("-----") != Some(label) {
                return Err(format!(
                    "PEM end line {line:?} does not match label {label:?}"
                ));
            }
            ended = true;
            break;
        }
        body.push_str(line.trim_end_matches([' ', '\t']));
    }
    if !ended {
        return Err(format!("PEM block {label:?} has no end line"));
    }
    if lines.next().is_some() {
        return Err("text after the PEM end line".into());
    }
    let bytes = base64_decode(&body).map_err(|e| format!("PEM base64: {e}"))?;
    Ok((label.to_string(), bytes))
}

/// Standard base64 with `=` padding; every other character is an error.
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let text = text.as_bytes();
    if let Some(at) = text
        .iter()
        .position(|&c| !(c.is_ascii_alphanumeric() || b"+/=".contains(&c)))
    {
        return Err(format!(
            "invalid character {:?} at {at}",
            char::from(text[at])
        ));
    }
    if text.len() % 4 != 0 {
        return Err(format!("{} characters, not a multiple of 4", text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for (index, quad) in text.chunks(4).enumerate() {
        let last = index + 1 == text.len() / 4;
        let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && !last) {
            return Err(format!("misplaced '=' near character {}", index * 4));
        }
        let mut bits = 0u32;
        for (i, &c) in quad[..4 - padding].iter().enumerate() {
            let value = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                _ => return Err(format!("misplaced '=' at {}", index * 4 + i)),
            };
            bits |= u32::from(value) << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        let keep = 3 - padding;
        // Canonical: the bits under the padding are zero.
        if bytes[1 + keep..].iter().any(|&b| b != 0) {
            return Err(format!(
                "non-canonical padding near character {}",
                index * 4
            ));
        }
        out.extend_from_slice(&bytes[1..1 + keep]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_base64_as_rfc4648_does() {
        // RFC 4648 section 10's test vectors.
        for (text, bytes) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(base64_decode(text).unwrap(), bytes.as_bytes(), "{text}");
        }
        assert_eq!(base64_decode("//+A").unwrap(), [0xff, 0xff, 0x80]);
        for bad in [
            "Zg=", "Zg=a", "Zm==Zm9v", "Z===", "Zh==", "Zm9=", "Zm9v*A==", "Zm 9",
        ] {
            assert!(base64_decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decodes_blocks_and_refuses_broken_ones() {
        let block = b"-----BEGIN CERTIFICATE-----\r\nZm9v\r\nYmFy\n-----END CERTIFICATE-----";
        assert_eq!(
            decode_block(block).unwrap(),
            ("CERTIFICATE".to_string(), b"foobar".to_vec())
        );
        for (block, error) in [
            (
                &b"-----BEGIN X-----\nZm9v\n-----END Y-----"[..],
                "does not match label",
            ),
            (b"-----BEGIN X-----\nZm9v\n", "has no end line"),
            (
                b"-----BEGIN X-----\nZm9v\n-----END X-----\nmore",
                "text after",
            ),
            (b"-----BEGIN X\nZm9v\n-----END X-----", "bad PEM begin line"),
            (b"-----BEGIN X-----\nZm9v!\n-----END X-----", "PEM base64"),
        ] {
            let message = decode_block(block).unwrap_err();
            assert!(message.contains(error), "{message}");
        }
    }
}
