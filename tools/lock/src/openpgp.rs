//! Trusted keys and cleartext signatures (`InRelease`), judged as gpgv judges them and as apt
//! reads gpgv's verdict: only a good signature (gpgv's `GOODSIG`) by a key of the keyring
//! counts. A signature is refused when it does not verify, when its key is expired
//! (`EXPKEYSIG`) or revoked (`REVKEYSIG`) now, when the signature itself has expired
//! (`EXPSIG`), when it claims to be older than its key, or when the key claims to be made in
//! the future (gpgv's "time conflict"). An InRelease is accepted when at least one of its
//! signatures is good, as apt accepts Debian's, which carry one per archive key.
//!
//! What a key is, as GnuPG works it out from its self-signatures:
//! * primary key: revoked by any valid key revocation signature it made; expiry and usage
//!   from its newest valid direct-key signature if that states them, else from the newest valid
//!   self-certification of its user IDs (one marked primary first); self-signatures that have
//!   expired or that are dated in the future are not used. A key without any valid
//!   self-certification is not used.
//! * subkey: its newest valid binding signature by the primary key gives its expiry and usage;
//!   a signing subkey also needs the binding's embedded back-signature (cross-certification);
//!   revoked by any valid subkey revocation; revoked or expired when its primary key is.
//!
//! Designated revokers and third-party certifications are not considered (their keys are not in
//! the keyring).

use pgp::composed::cleartext::CleartextSignedMessage;
use pgp::composed::{Deserializable, SignedPublicKey, StandaloneSignature};
use pgp::packet::{Signature, SignatureType, SubpacketData};
use pgp::types::{PublicKeyTrait, Tag};

use crate::date::format_utc;

/// What is wrong with a keyring or a signed file; `origin` names the keyring file or the
/// InRelease URL.
#[derive(Debug, thiserror::Error)]
pub enum SignatureError {
    #[error("{origin}: no OpenPGP public key block")]
    NoKeys { origin: String },
    #[error("{origin}: key block {index}: {message}")]
    BadKey {
        origin: String,
        index: usize,
        message: String,
    },
    #[error("{origin}: not an OpenPGP cleartext-signed InRelease: {message}")]
    NotSigned { origin: String, message: String },
    #[error("{origin}: not an OpenPGP detached signature of a Release: {message}")]
    NotDetached { origin: String, message: String },
    #[error(
        "{origin}: no good signature by a key of {keyring} ({} signature(s): {}); tampered with, \
         or signed by keys that are not (or no longer) trusted",
        rejected.len(),
        rejected.join("; ")
    )]
    Unverified {
        origin: String,
        keyring: String,
        /// Why each signature was refused.
        rejected: Vec<String>,
    },
}

/// One key of the keyring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The primary key's fingerprint, upper-case hex.
    pub fingerprint: String,
    /// The first user ID.
    pub user_id: String,
    /// Fingerprints of the subkeys bound for signing (a verified binding signature that
    /// allows signing, with a verified back-signature), whatever their expiry.
    pub signing_subkeys: Vec<String>,
}

/// When a key (primary or subkey) was made, until when it is valid, whether it may sign, and
/// whether it is revoked: what its self-signatures say at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyState {
    created: i64,
    expires: Option<i64>,
    may_sign: bool,
    revoked: bool,
}

/// A self-signature that verified: the parts that decide a key's state.
#[derive(Debug, Clone)]
struct SelfSignature {
    created: i64,
    /// Signature expiry (absolute).
    expires: Option<i64>,
    /// Key expiry, seconds after the key's creation.
    key_lifetime: Option<i64>,
    /// `None`: no Key Flags subpacket.
    may_sign: Option<bool>,
    primary_user_id: bool,
}

impl SelfSignature {
    fn of(signature: &Signature) -> Self {
        let created = created(signature);
        let mut may_sign = None;
        for packet in signature.config.hashed_subpackets() {
            if let SubpacketData::KeyFlags(_) = packet.data {
                may_sign = Some(signature.key_flags().sign());
            }
        }
        Self {
            created,
            expires: signature
                .signature_expiration_time()
                .map(|d| created + d.num_seconds())
                .filter(|_| created > 0),
            key_lifetime: signature
                .key_expiration_time()
                .map(|d| d.num_seconds())
                .filter(|&s| s > 0),
            may_sign,
            primary_user_id: signature.is_primary(),
        }
    }

    fn usable_at(&self, now: i64) -> bool {
        self.created <= now && self.expires.is_none_or(|e| e > now)
    }
}

/// The newest of `signatures` usable at `now`.
fn newest(signatures: &[SelfSignature], now: i64) -> Option<&SelfSignature> {
    signatures
        .iter()
        .filter(|s| s.usable_at(now))
        .max_by_key(|s| s.created)
}

fn created(signature: &Signature) -> i64 {
    signature.created().map_or(0, |t| t.timestamp())
}

/// A subkey and its verified binding signatures.
struct Subkey {
    fingerprint: String,
    created: i64,
    bindings: Vec<SelfSignature>,
    revoked: bool,
}

/// A key of the keyring with its verified self-signatures (verified when the key is first
/// needed: RSA verification is slow in debug builds, and most keys sign nothing we read).
struct Certificate {
    key: SignedPublicKey,
    fingerprint: String,
    user_id: String,
    analysis: std::sync::OnceLock<Result<Analysis, String>>,
}

/// What a key's self-signatures say.
struct Analysis {
    info: KeyInfo,
    created: i64,
    revoked: bool,
    direct: Vec<SelfSignature>,
    /// The verified self-certifications of each user ID that is not revoked.
    user_ids: Vec<Vec<SelfSignature>>,
    subkeys: Vec<Subkey>,
}

impl Certificate {
    fn new(key: SignedPublicKey) -> Result<Self, String> {
        let user_id = key
            .details
            .users
            .first()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
            .ok_or("no user ID")?;
        Ok(Self {
            fingerprint: fingerprint(&key.primary_key),
            user_id,
            key,
            analysis: std::sync::OnceLock::new(),
        })
    }

    fn analysis(&self) -> Result<&Analysis, &str> {
        self.analysis
            .get_or_init(|| Analysis::of(&self.key, &self.fingerprint, &self.user_id))
            .as_ref()
            .map_err(String::as_str)
    }
}

impl Analysis {
    fn of(key: &SignedPublicKey, fingerprint_hex: &str, user_id: &str) -> Result<Self, String> {
        let primary = &key.primary_key;
        let revoked = key
            .details
            .revocation_signatures
            .iter()
            .any(|s| s.typ() == SignatureType::KeyRevocation && s.verify_key(primary).is_ok());
        let direct = key
            .details
            .direct_signatures
            .iter()
            .filter(|s| s.typ() == SignatureType::Key && s.verify_key(primary).is_ok())
            .map(SelfSignature::of)
            .collect();
        let mut user_ids = Vec::new();
        for user in &key.details.users {
            let verified = |s: &&Signature| {
                s.verify_certification(primary, Tag::UserId, &user.id)
                    .is_ok()
            };
            let certifications: Vec<SelfSignature> = user
                .signatures
                .iter()
                .filter(|s| s.is_certification() && s.typ() != SignatureType::CertRevocation)
                .filter(verified)
                .map(SelfSignature::of)
                .collect();
            let newest_revocation = user
                .signatures
                .iter()
                .filter(|s| s.typ() == SignatureType::CertRevocation)
                .filter(verified)
                .map(created)
                .max();
            let newest_certification = certifications.iter().map(|c| c.created).max();
            // As GnuPG: a user ID revoked after its newest self-certification is revoked.
            if newest_certification.is_some() && newest_revocation < newest_certification {
                user_ids.push(certifications);
            }
        }
        if user_ids.is_empty() && !revoked {
            return Err("no user ID with a valid self-signature".into());
        }
        let mut subkeys = Vec::new();
        for sub in &key.public_subkeys {
            let mut bindings = Vec::new();
            let mut sub_revoked = false;
            for s in &sub.signatures {
                if s.verify_key_binding(primary, &sub.key).is_err() {
                    continue;
                }
                match s.typ() {
                    SignatureType::SubkeyRevocation => sub_revoked = true,
                    SignatureType::SubkeyBinding => {
                        let mut binding = SelfSignature::of(s);
                        // A signing subkey must sign the primary key back (GnuPG refuses one
                        // that does not: anyone could bind someone else's key otherwise).
                        let cross_certified = s.embedded_signature().is_some_and(|back| {
                            back.typ() == SignatureType::KeyBinding
                                && back.verify_backwards_key_binding(&sub.key, primary).is_ok()
                        });
                        if !cross_certified {
                            binding.may_sign = Some(false);
                        }
                        bindings.push(binding);
                    }
                    _ => {}
                }
            }
            subkeys.push(Subkey {
                fingerprint: fingerprint(&sub.key),
                created: sub.key.created_at().timestamp(),
                bindings,
                revoked: sub_revoked,
            });
        }
        let info = KeyInfo {
            fingerprint: fingerprint_hex.to_string(),
            user_id: user_id.to_string(),
            signing_subkeys: subkeys
                .iter()
                .filter(|s| s.bindings.iter().any(|b| b.may_sign == Some(true)))
                .map(|s| s.fingerprint.clone())
                .collect(),
        };
        Ok(Self {
            created: primary.created_at().timestamp(),
            info,
            revoked,
            direct,
            user_ids,
            subkeys,
        })
    }

    /// The primary key's state at `now`; `None` when no self-signature is usable.
    fn primary_state(&self, now: i64) -> Option<KeyState> {
        let newest_direct = newest(&self.direct, now);
        // The user ID whose newest usable self-certification is marked primary (the newest
        // such), else the user ID with the newest one.
        let by_user_id: Vec<&SelfSignature> = self
            .user_ids
            .iter()
            .filter_map(|sigs| newest(sigs, now))
            .collect();
        let user_id = by_user_id
            .iter()
            .filter(|s| s.primary_user_id)
            .max_by_key(|s| s.created)
            .or_else(|| by_user_id.iter().max_by_key(|s| s.created))
            .copied();
        if user_id.is_none() && newest_direct.is_none() {
            return None;
        }
        let lifetime = newest_direct
            .and_then(|d| d.key_lifetime)
            .or_else(|| user_id.and_then(|u| u.key_lifetime));
        let may_sign = newest_direct
            .and_then(|d| d.may_sign)
            .or_else(|| user_id.and_then(|u| u.may_sign))
            .unwrap_or(true);
        Some(KeyState {
            created: self.created,
            expires: lifetime.map(|l| self.created + l),
            may_sign,
            revoked: self.revoked,
        })
    }

    fn subkey_state(&self, subkey: &Subkey, primary: Option<KeyState>, now: i64) -> KeyState {
        let binding = newest(&subkey.bindings, now);
        let own_expiry = binding.and_then(|b| b.key_lifetime.map(|l| subkey.created + l));
        let primary_expiry = primary.and_then(|p| p.expires);
        KeyState {
            created: subkey.created,
            expires: match (own_expiry, primary_expiry) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            may_sign: primary.is_some() && binding.is_some_and(|b| b.may_sign == Some(true)),
            revoked: subkey.revoked || primary.is_some_and(|p| p.revoked),
        }
    }
}

/// Why a signature that verified cryptographically is still not good, in gpgv's order.
fn judge(signature: &Signature, key: KeyState, now: i64) -> Result<(), String> {
    let made = created(signature);
    if key.created > made {
        return Err(format!(
            "made {} by a key created later ({}): time conflict",
            format_utc(made),
            format_utc(key.created)
        ));
    }
    if key.created > now {
        return Err(format!(
            "its key was created in the future ({}): time conflict",
            format_utc(key.created)
        ));
    }
    if !key.may_sign {
        return Err("its key may not sign".into());
    }
    if let Some(expired) = signature
        .signature_expiration_time()
        .map(|d| made + d.num_seconds())
        .filter(|&e| e <= now && made > 0)
    {
        return Err(format!("the signature expired {}", format_utc(expired)));
    }
    if let Some(expired) = key.expires.filter(|&e| e <= now) {
        return Err(format!("its key expired {}", format_utc(expired)));
    }
    if key.revoked {
        return Err("its key is revoked".into());
    }
    Ok(())
}

/// Trusted public keys: ASCII-armoured key blocks from a file of the repository. Primary keys
/// that may sign and their properly bound signing subkeys may sign.
pub struct Keyring {
    origin: String,
    keys: Vec<Certificate>,
}

impl Keyring {
    /// Reads one or more concatenated `-----BEGIN PGP PUBLIC KEY BLOCK-----` blocks; every
    /// block must be a key with at least one valid self-signed user ID.
    pub fn from_armored(text: &str, origin: &str) -> Result<Self, SignatureError> {
        const BEGIN: &str = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
        let mut keys = Vec::new();
        for (index, block) in text.split(BEGIN).skip(1).enumerate() {
            let bad = |message: String| SignatureError::BadKey {
                origin: origin.to_string(),
                index: index + 1,
                message,
            };
            let (key, _) = SignedPublicKey::from_string(&format!("{BEGIN}{block}"))
                .map_err(|e| bad(e.to_string()))?;
            keys.push(Certificate::new(key).map_err(bad)?);
        }
        if keys.is_empty() {
            return Err(SignatureError::NoKeys {
                origin: origin.to_string(),
            });
        }
        Ok(Self {
            origin: origin.to_string(),
            keys,
        })
    }

    /// The keys, with the signing subkeys their self-signatures bind (none for a key whose
    /// self-signatures do not verify).
    pub fn keys(&self) -> impl Iterator<Item = KeyInfo> + '_ {
        self.keys.iter().map(|c| match c.analysis() {
            Ok(analysis) => analysis.info.clone(),
            Err(_) => KeyInfo {
                fingerprint: c.fingerprint.clone(),
                user_id: c.user_id.clone(),
                signing_subkeys: Vec::new(),
            },
        })
    }

    /// Verifies a cleartext-signed InRelease at time `now` (seconds since the epoch); returns
    /// the signed text (dash-escaping removed, LF line ends) and the keys that made a good
    /// signature. `origin` names the InRelease (its URL).
    pub fn verify_inrelease(
        &self,
        text: &str,
        origin: &str,
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let (message, _) =
            CleartextSignedMessage::from_string(text).map_err(|e| SignatureError::NotSigned {
                origin: origin.to_string(),
                message: e.to_string(),
            })?;
        let signed = message.signed_text();
        let signatures = message.signatures().iter().map(|s| &s.signature);
        let (signers, rejected) = self.judge_all(signatures, |_| signed.as_bytes(), origin, now)?;
        // Exactly the text the signatures cover, with LF line ends and the final line end
        // (which the signature does not cover) restored, as gpgv outputs it.
        let mut text = signed.replace("\r\n", "\n");
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(Verified {
            text,
            signers,
            rejected,
        })
    }

    /// Verifies a `Release` file (`data`) against its detached signature `Release.gpg`
    /// (armoured or binary, one or more signatures) at time `now`, judged as
    /// [`Self::verify_inrelease`] judges an InRelease. `origin` names the Release (its URL).
    pub fn verify_detached(
        &self,
        data: &[u8],
        signature: &[u8],
        origin: &str,
        now: i64,
    ) -> Result<Verified, SignatureError> {
        let not_detached = |message: String| SignatureError::NotDetached {
            origin: origin.to_string(),
            message,
        };
        let parsed: Vec<StandaloneSignature> = if signature.starts_with(b"-----BEGIN") {
            let (many, _) = StandaloneSignature::from_armor_many(signature)
                .map_err(|e| not_detached(e.to_string()))?;
            many.collect::<Result<_, _>>()
        } else {
            StandaloneSignature::from_bytes_many(signature).collect::<Result<_, _>>()
        }
        .map_err(|e| not_detached(e.to_string()))?;
        if parsed.is_empty() {
            return Err(not_detached("no signature packet".into()));
        }
        let text = std::str::from_utf8(data)
            .map_err(|_| not_detached("the Release is not UTF-8 text".into()))?;
        // A text-mode signature covers the text with CRLF line ends.
        let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
        let (signers, rejected) = self.judge_all(
            parsed.iter().map(|s| &s.signature),
            |signature| match signature.typ() {
                SignatureType::Text => crlf.as_bytes(),
                _ => data,
            },
            origin,
            now,
        )?;
        Ok(Verified {
            text: text.to_string(),
            signers,
            rejected,
        })
    }

    /// The keys that made good signatures among `signatures` (each over `data_for` it), and
    /// why the others are not good; an error when none is.
    fn judge_all<'s, 'd>(
        &self,
        signatures: impl Iterator<Item = &'s Signature>,
        data_for: impl Fn(&Signature) -> &'d [u8],
        origin: &str,
        now: i64,
    ) -> Result<(Vec<KeyInfo>, Vec<String>), SignatureError> {
        let mut signers = Vec::new();
        let mut rejected = Vec::new();
        for (number, signature) in signatures.enumerate() {
            match self.judge_signature(signature, data_for(signature), now) {
                Ok(info) => {
                    if !signers.contains(info) {
                        signers.push(info.clone());
                    }
                }
                Err(why) => rejected.push(format!("signature {}: {why}", number + 1)),
            }
        }
        if signers.is_empty() {
            return Err(SignatureError::Unverified {
                origin: origin.to_string(),
                keyring: self.origin.clone(),
                rejected,
            });
        }
        Ok((signers, rejected))
    }

    /// The key that made a good `signature` over `data`, or why there is none.
    fn judge_signature(
        &self,
        signature: &Signature,
        data: &[u8],
        now: i64,
    ) -> Result<&KeyInfo, String> {
        if !matches!(signature.typ(), SignatureType::Text | SignatureType::Binary) {
            return Err(format!("not a document signature ({:?})", signature.typ()));
        }
        for cert in &self.keys {
            let by = format!("by {} ({})", cert.fingerprint, cert.user_id);
            let state = if signature.verify(&cert.key.primary_key, data).is_ok() {
                cert.analysis().map(|a| (a, a.primary_state(now)))
            } else if let Some(sub) = cert
                .key
                .public_subkeys
                .iter()
                .find(|sub| signature.verify(&sub.key, data).is_ok())
            {
                let fpr = fingerprint(&sub.key);
                let analysis = cert.analysis().map_err(|e| format!("{by}: {e}"))?;
                let subkey = analysis
                    .subkeys
                    .iter()
                    .find(|s| s.fingerprint == fpr)
                    .ok_or_else(|| format!("{by}, subkey {fpr}: not bound"))?;
                let primary = analysis.primary_state(now);
                return judge(signature, analysis.subkey_state(subkey, primary, now), now)
                    .map(|()| &analysis.info)
                    .map_err(|why| format!("{by}, subkey {fpr}: {why}"));
            } else {
                continue;
            };
            let (analysis, primary) = state.map_err(|e| format!("{by}: {e}"))?;
            // A key without a usable self-signature: say why (gpgv's time conflict first).
            let primary = primary.ok_or_else(|| {
                if analysis.created > now {
                    format!(
                        "{by}: its key was created in the future ({}): time conflict",
                        format_utc(analysis.created)
                    )
                } else {
                    format!("{by}: no valid self-signature")
                }
            })?;
            return judge(signature, primary, now)
                .map(|()| &analysis.info)
                .map_err(|why| format!("{by}: {why}"));
        }
        let issuers: Vec<String> = signature
            .issuer_fingerprint()
            .iter()
            .map(|f| hex::encode_upper(f.as_bytes()))
            .chain(
                signature
                    .issuer()
                    .iter()
                    .map(|k| hex::encode_upper(k.as_ref())),
            )
            .collect();
        Err(format!(
            "does not verify with any key (issuer {})",
            issuers.first().map_or("unknown", String::as_str)
        ))
    }
}

fn fingerprint(key: &impl PublicKeyTrait) -> String {
    hex::encode_upper(key.fingerprint().as_bytes())
}

/// The signed text of an InRelease and who signed it.
#[derive(Debug, Clone)]
pub struct Verified {
    pub text: String,
    /// The keys that made a good signature.
    pub signers: Vec<KeyInfo>,
    /// The other signatures, and why each is not good.
    pub rejected: Vec<String>,
}
