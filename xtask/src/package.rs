//! `cargo xtask package`: packages every published crate as crates.io would receive it,
//! builds each package on its own (with the workspace's other packages standing in for
//! crates.io, as `cargo publish` of several packages does; cargo 1.90 or newer), and
//! checks that no package has grown past [`MAX_CRATE_BYTES`].
//!
//! Published crates are those under `crates/` whose manifest does not say
//! `publish = false`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The largest `.crate` file accepted. The largest today is npy-conformance with its
/// corpus, 140 KiB compressed; a package over this has taken in files it does not need
/// (test data, build output).
const MAX_CRATE_BYTES: u64 = 1 << 20;

struct Package {
    name: String,
    version: String,
}

/// The published crates under `crates/`, sorted by name.
fn published(root: &Path) -> Result<Vec<Package>, String> {
    let dir = root.join("crates");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut packages = Vec::new();
    for entry in entries {
        let manifest = entry.map_err(|e| e.to_string())?.path().join("Cargo.toml");
        if !manifest.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest)
            .map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
        let (mut name, mut version, mut publish) = (None, None, true);
        // The keys of the [package] table: from its header to the next table header.
        let package = text
            .split_once("[package]")
            .map_or("", |(_, rest)| rest.split("\n[").next().unwrap_or(""));
        for line in package.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"').to_string();
            match key.trim() {
                "name" => name = Some(value),
                "version" => version = Some(value),
                "publish" => publish = value != "false",
                _ => {}
            }
        }
        match (name, version) {
            (Some(name), Some(version)) if publish => packages.push(Package { name, version }),
            (Some(_), Some(_)) => {}
            _ => {
                return Err(format!(
                    "{}: no package name and version",
                    manifest.display()
                ))
            }
        }
    }
    packages.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(packages)
}

/// Removes what earlier runs extracted of these packages from cargo's local-registry
/// overlays (`$CARGO_HOME/registry/src/-<hash>/NAME-VERSION`, where `cargo package`
/// unpacks the workspace's own packages to build the ones that depend on them). Cargo
/// keys those directories by the overlay's path and version, and does not extract a
/// version again once it is there, so a second run from the same directory would
/// build the dependents against the first run's sources.
fn forget_extracted(packages: &[Package]) -> Result<(), String> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry").join("src")) else {
        return Ok(());
    };
    let Ok(overlays) = std::fs::read_dir(&src) else {
        return Ok(());
    };
    for overlay in overlays.flatten() {
        // Overlays are named `-<hash>`; registries such as crates.io have a name first.
        if !overlay.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for p in packages {
            let dir = overlay.path().join(format!("{}-{}", p.name, p.version));
            if dir.is_dir() {
                std::fs::remove_dir_all(&dir)
                    .map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
            }
        }
    }
    Ok(())
}

/// Makes cargo build those extracted packages again: it never checks a registry
/// package's sources for changes, so the builds of an earlier run's extraction (left in
/// `<target>/debug`, beside the workspace's own) would be linked against this run's
/// dependents. A build is recognised by its dep-info file naming sources under an
/// overlay (`registry/src/-<hash>/NAME-VERSION/`); removing its fingerprint is enough.
fn forget_built(target: &Path, packages: &[Package]) -> Result<(), String> {
    let deps = target.join("debug").join("deps");
    let Ok(entries) = std::fs::read_dir(&deps) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".d"))
        else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for p in packages {
            let crate_name = p.name.replace('-', "_");
            let Some(hash) = stem.strip_prefix(&format!("{crate_name}-")) else {
                continue;
            };
            let source = format!("/{}-{}/", p.name, p.version);
            if text.contains("registry/src/-") && text.contains(&source) {
                let fingerprint = target
                    .join("debug")
                    .join(".fingerprint")
                    .join(format!("{}-{hash}", p.name));
                if fingerprint.is_dir() {
                    std::fs::remove_dir_all(&fingerprint)
                        .map_err(|e| format!("cannot remove {}: {e}", fingerprint.display()))?;
                }
            }
        }
    }
    Ok(())
}

pub fn package(root: &Path) -> Result<(), String> {
    let packages = published(root)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| root.join("target"), |t| root.join(PathBuf::from(t)));
    forget_extracted(&packages)?;
    forget_built(&target, &packages)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    // --allow-dirty: what is checked is what the files hold, committed or not.
    cmd.current_dir(root).args(["package", "--allow-dirty"]);
    for p in &packages {
        cmd.args(["-p", &p.name]);
    }
    crate::run(&mut cmd)?;

    let mut too_big = Vec::new();
    for p in &packages {
        let file = target
            .join("package")
            .join(format!("{}-{}.crate", p.name, p.version));
        let size = std::fs::metadata(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            .len();
        println!("xtask: {}: {} KiB", file.display(), size.div_ceil(1024));
        if size > MAX_CRATE_BYTES {
            too_big.push(format!("{} ({size} bytes)", p.name));
        }
    }
    if too_big.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "packages over {MAX_CRATE_BYTES} bytes: {} (see `cargo package --list -p NAME`; \
             leave out what the package does not need with `include` in its Cargo.toml)",
            too_big.join(", ")
        ))
    }
}
