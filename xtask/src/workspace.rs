//! What xtask needs to know about the workspace, read from the files
//! (no `cargo metadata`: that would need a JSON parser).

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::Result;

/// A member under `crates/`.
#[derive(Debug)]
pub(crate) struct Package {
    pub(crate) name: String,
    pub(crate) dir: PathBuf,
}

/// The packages in `crates/*`, sorted by directory.
pub(crate) fn packages(root: &Path) -> Result<Vec<Package>> {
    let mut packages = Vec::new();
    for dir in sorted_entries(&root.join("crates"))? {
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&manifest) else {
            continue;
        };
        let name = package_name(&text)
            .ok_or_else(|| format!("{}: no `name` in [package]", manifest.display()))?;
        packages.push(Package {
            name: name.to_owned(),
            dir,
        });
    }
    Ok(packages)
}

/// The entries of `dir`, sorted; empty if `dir` does not exist.
pub(crate) fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("reading {}: {e}", dir.display())),
    };
    let mut paths = entries
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| format!("reading {}: {e}", dir.display()))?;
    paths.sort();
    Ok(paths)
}

/// `name` from the `[package]` table of a manifest (the plain `name = "..."` form).
fn package_name(manifest: &str) -> Option<&str> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if key.trim() == "name" {
                return value.trim().strip_prefix('"')?.strip_suffix('"');
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_package_name_only() {
        let manifest = "[workspace]\nname = \"no\"\n\n[package]\nversion = \"1\"\nname = \"weft-core\"\n\n[[test]]\nname = \"x\"\n";
        assert_eq!(package_name(manifest), Some("weft-core"));
        assert_eq!(package_name("[dependencies]\nname = \"x\"\n"), None);
    }

    #[test]
    fn finds_this_workspace() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let packages = packages(root).unwrap();
        assert!(
            packages.iter().any(|p| p.name == "weft-core"),
            "{packages:?}"
        );
    }
}
