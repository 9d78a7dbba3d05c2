//! crates.io packages: `Cargo.lock`.

use super::{Ecosystem, Package, Parsed, toml_packages};

/// `Cargo.lock` (versions 1 to 4): `[[package]]` entries with a `source` (registry or git);
/// entries without one are the workspace's own crates or path dependencies.
pub(super) fn cargo_lock(rel: &str, text: &str) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    for p in toml_packages(text)? {
        if p.source.is_none() {
            continue;
        }
        let Some(version) = p.version else { continue };
        out.packages.push(Package {
            ecosystem: Ecosystem::CratesIo,
            name: p.name,
            version,
            file: rel.to_owned(),
            line: p.line,
        });
    }
    Ok(out)
}
