//! Times parsing Packages indexes and resolving one root set with debimage-lock's library,
//! as `bench/resolve` runs it beside apt-get. Not part of the product.
//!
//! Usage: resolve_bench ARCH ROOTS INDEX...   (ROOTS comma-separated; INDEX = SUITE=BASE=FILE,
//! an uncompressed Packages file). Prints the closure ("name version" per line) on stdout and
//! "parse_ms resolve_ms" on stderr.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use debimage_lock::packages;
use debimage_lock::resolve::{resolve, Index};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [arch, roots, indexes @ ..] = args.as_slice() else {
        bail!("usage: resolve_bench ARCH ROOTS SUITE=BASE=FILE...");
    };
    let mut sources = Vec::new();
    for spec in indexes {
        let mut parts = spec.splitn(3, '=');
        let (Some(suite), Some(base), Some(file)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!("{spec}: expected SUITE=BASE=FILE");
        };
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
        sources.push((suite, base, text));
    }

    let start = Instant::now();
    let parsed = sources
        .iter()
        .map(|(suite, base, text)| Ok((*suite, *base, packages::parse(text, suite)?)))
        .collect::<Result<Vec<_>>>()?;
    let mut index = Index::new(arch);
    for (suite, base, packages) in &parsed {
        index.add(packages, suite, base)?;
    }
    let parsed_at = start.elapsed();
    let requests: Vec<String> = roots.split(',').map(str::to_string).collect();
    let closure = resolve(&index, &requests, true)?;
    let resolved_at = start.elapsed();

    for selection in closure.values() {
        let package = &selection.candidate.package;
        println!("{} {}", package.name, package.version);
    }
    eprintln!(
        "{:.1} {:.1}",
        parsed_at.as_secs_f64() * 1e3,
        (resolved_at - parsed_at).as_secs_f64() * 1e3
    );
    Ok(())
}
