//! The downstream module's app: reports who it runs as and what the image gives it.
use std::fs;

fn main() {
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc_getuid() };
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    let user = passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|f| f.len() > 2 && f[2] == uid.to_string())
        .map(|f| f[0].to_string())
        .unwrap_or_else(|| "<unknown>".to_string());
    let bundle = std::env::var("SSL_CERT_FILE").unwrap_or_default();
    let certificates = fs::read_to_string(&bundle)
        .map(|pem| pem.matches("BEGIN CERTIFICATE").count())
        .unwrap_or(0);
    println!("app: uid {uid} ({user}), {certificates} CA certificates in {bundle:?}");
}

extern "C" {
    #[link_name = "getuid"]
    fn libc_getuid() -> u32;
}
