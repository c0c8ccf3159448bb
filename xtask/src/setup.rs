//! Sets up what is missing, and only that: Debian packages, the wasm32
//! and Android targets, and Trunk, wasm-bindgen-cli and tauri-driver built from crates.io
//! into the tools folder. Every step checks first, so a second run costs
//! a few process starts.

use crate::proc::{self, cargo, cmd, output, run, Result};
use crate::versions;
use std::time::Instant;

pub fn all(with_e2e: bool) -> Result<()> {
    let started = Instant::now();
    debian_packages()?;
    rust_targets()?;
    let wasm_bindgen = wasm_bindgen_version()?;
    cargo_tool(
        "trunk",
        "trunk",
        versions::TRUNK,
        &["--locked"],
        &["--version"],
    )?;
    // Not --locked: wasm-bindgen-cli's own lock file names a webpki-roots
    // release the registry mirror does not have.
    cargo_tool(
        "wasm-bindgen-cli",
        "wasm-bindgen",
        &wasm_bindgen,
        &[],
        &["--version"],
    )?;
    npm_tool("binaryen", versions::BINARYEN, "wasm-opt")?;
    if with_e2e {
        cargo_tool(
            "tauri-driver",
            "tauri-driver",
            versions::TAURI_DRIVER,
            &["--locked"],
            &["--help"],
        )?;
    }
    println!("set-up checked in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn is_root() -> bool {
    output(cmd("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

fn debian_packages() -> Result<()> {
    let npm_missing = output(cmd("npm").arg("--version")).is_none();
    let wanted = versions::DEBIAN_PACKAGES
        .iter()
        .chain(versions::NPM_PACKAGES.iter().filter(|_| npm_missing));
    let missing: Vec<&str> = wanted
        .copied()
        .filter(|p| {
            output(cmd("dpkg-query").args(["-W", "-f=${Status}", p]))
                .is_none_or(|s| !s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    if !is_root() {
        return Err(format!(
            "these Debian packages are missing: {}\n\
             They need root to install. Run this once, then run the command again:\n\
             sudo apt-get update && sudo apt-get install -y {}",
            missing.join(" "),
            missing.join(" ")
        ));
    }
    println!("installing Debian packages: {}", missing.join(" "));
    run(cmd("apt-get").args(["update", "-q"]))?;
    run(cmd("apt-get")
        .args(["install", "-y", "-q", "--no-install-recommends"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive"))
}

fn rust_targets() -> Result<()> {
    let installed =
        output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    let missing: Vec<&str> = versions::RUST_TARGETS
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(cmd("rustup").args(["target", "add"]).args(&missing))
}

/// The wasm-bindgen version the lock file resolved: the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(proc::root().join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("Cargo.lock has no wasm-bindgen entry".into())
}

/// Whether the tools folder's `bin` was installed at `version` and still runs.
fn tool_is_current(bin: &str, version: &str, probe: &[&str]) -> bool {
    let path = proc::tools_dir().join("bin").join(bin);
    let have = std::fs::read_to_string(stamp(bin)).unwrap_or_default();
    path.exists() && have.trim() == version && output(cmd(&path).args(probe)).is_some()
}

fn stamp(bin: &str) -> std::path::PathBuf {
    proc::tools_dir().join(format!("{bin}.version"))
}

fn write_stamp(bin: &str, version: &str) -> Result<()> {
    let stamp = stamp(bin);
    std::fs::write(&stamp, version).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Installs the npm `package` at `version` into the tools folder and links
/// its `bin` into the tools' `bin`, unless that already reports the version.
/// npm fetches from the npm registry only (a package, not a release binary
/// from elsewhere).
fn npm_tool(package: &str, version: &str, bin: &str) -> Result<()> {
    if tool_is_current(bin, version, &["--version"]) {
        return Ok(());
    }
    println!("installing {package} {version} from the npm registry (once)");
    let prefix = proc::tools_dir().join("npm");
    run(cmd("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--save-exact",
            "--prefix",
        ])
        .arg(&prefix)
        .arg(format!("{package}@{version}")))?;
    let target = prefix.join("node_modules").join(".bin").join(bin);
    let link = proc::tools_dir().join("bin").join(bin);
    std::fs::create_dir_all(proc::tools_dir().join("bin"))
        .map_err(|e| format!("cannot create the tools folder: {e}"))?;
    // npm's own links are relative to node_modules/.bin; ours points at the
    // real file so Node resolves the package's modules from there.
    let real = std::fs::canonicalize(&target)
        .map_err(|e| format!("npm installed no {}: {e}", target.display()))?;
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&real, &link)
        .map_err(|e| format!("cannot link {}: {e}", link.display()))?;
    write_stamp(bin, version)
}

/// Installs `krate` at `version` into the tools folder unless `bin` there
/// already reports that version.
fn cargo_tool(krate: &str, bin: &str, version: &str, extra: &[&str], probe: &[&str]) -> Result<()> {
    if tool_is_current(bin, version, probe) {
        return Ok(());
    }
    println!("building {krate} {version} from crates.io (once; later runs reuse it)");
    let started = Instant::now();
    run(cargo()
        .args([
            "install",
            krate,
            "--version",
            &format!("={version}"),
            "--root",
        ])
        .arg(proc::tools_dir())
        .args(["--force"])
        .args(extra)
        // These tools' own release profiles ask for fat LTO and one codegen
        // unit, which triples a cold build on two cores; they run for
        // seconds, so a binary that builds quickly is the better trade.
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"))?;
    write_stamp(bin, version)?;
    println!(
        "{krate} {version} built in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
