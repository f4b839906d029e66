//! `debimage locale`: compiled locales from libc-bin and locales-all as one layer.

use std::path::PathBuf;

use anyhow::Result;
use layer::Layer;

use crate::output::LayerOutput;

#[derive(clap::Args)]
pub struct LocaleArgs {
    /// A package with compiled locales under /usr/lib/locale (libc-bin: C.utf8;
    /// locales-all: every other), in order of preference. Repeatable.
    #[arg(long = "deb", required = true)]
    debs: Vec<PathBuf>,
    /// A locale, as LANG names it (de_DE.UTF-8) or as its directory (de_DE.utf8,
    /// de_DE@euro). Repeatable.
    #[arg(long = "locale", required = true)]
    locales: Vec<String>,
    #[command(flatten)]
    output: LayerOutput,
}

pub fn run(args: LocaleArgs) -> Result<()> {
    let debs: Vec<&std::path::Path> = args.debs.iter().map(PathBuf::as_path).collect();
    let mut layer = Layer::new();
    for entry in rootfs::locale::locale_entries(&debs, &args.locales)? {
        layer.add(entry)?;
    }
    args.output.write(&layer)
}
