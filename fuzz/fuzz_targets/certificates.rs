//! PEM certificate files and the X.509 DER inside them (the CA bundle, Java trust stores).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = rootfs::cacerts::parse_pem_certificates("fuzz.crt", data);
    let _ = rootfs::x509::check_certificate(data);
});
