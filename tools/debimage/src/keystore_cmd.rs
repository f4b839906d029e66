//! `debimage keystore`: a Java trust store (PKCS#12) from PEM files and ca-certificates
//! packages, as a layer holding that one file.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use layer::{Entry, Kind, Layer};
use rootfs::TrustedCertificate;

use crate::output::LayerOutput;

#[derive(clap::Args)]
pub struct KeystoreArgs {
    /// A ca-certificates .deb: its certificates, under the aliases ca-certificates-java gives
    /// them (debian:<file name>). Repeatable; they come first, in bundle order.
    #[arg(long = "deb")]
    debs: Vec<PathBuf>,
    /// A PEM file of one or more certificates, trusted under its file name as alias (NAME#1,
    /// NAME#2, ... for several). Repeatable, in order.
    #[arg(long = "pem")]
    pems: Vec<PathBuf>,
    /// The store password (Java's truststore password; it protects the store's integrity).
    #[arg(long, default_value = rootfs::keystore::DEFAULT_PASSWORD)]
    password: String,
    /// Where the store goes in the image.
    #[arg(long, default_value = rootfs::KEYSTORE_PATH)]
    path: String,
    #[command(flatten)]
    output: LayerOutput,
}

pub fn run(args: KeystoreArgs) -> Result<()> {
    if args.debs.is_empty() && args.pems.is_empty() {
        bail!("no certificates: give --deb or --pem");
    }
    let mut trusted = Vec::new();
    for path in &args.debs {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let bundle = rootfs::CaBundle::from_deb(BufReader::new(file))
            .with_context(|| path.display().to_string())?;
        trusted.extend(bundle.certificates.iter().map(TrustedCertificate::from_ca));
    }
    for path in &args.pems {
        let data =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .with_context(|| format!("{}: not a UTF-8 file name", path.display()))?;
        trusted.extend(
            TrustedCertificate::from_pem(name, &data)
                .with_context(|| path.display().to_string())?,
        );
    }
    let store = rootfs::pkcs12_truststore(&trusted, &args.password)?;
    let path = layer::normalize_path(&args.path)?
        .with_context(|| format!("--path {:?}: not a file path", args.path))?;
    let mut layer = Layer::new();
    layer.add(Entry {
        path,
        kind: Kind::File(store.into()),
        mode: 0o644,
        uid: 0,
        gid: 0,
        implicit: false,
    })?;
    args.output.write(&layer)
}
