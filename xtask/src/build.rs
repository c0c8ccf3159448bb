//! Builds the frontend (Trunk, offline, with the tools we installed) and the
//! native binaries.

use crate::proc::{self, cargo, cmd, run, Result};
use std::path::PathBuf;

pub fn frontend() -> Result<()> {
    // --offline: Trunk must use our wasm-bindgen and wasm-opt, never
    // download one. --release: the tests drive what a tablet gets.
    run(cmd("trunk")
        .current_dir(proc::root().join("frontend"))
        .args(["build", "--release", "--offline"]))?;
    report_wasm_size()
}

/// The shipped WebAssembly's size, said at every build (issue 22's goal is
/// at most 1.5 MB uncompressed).
fn report_wasm_size() -> Result<()> {
    let dist = proc::root().join("frontend").join("dist");
    let entries =
        std::fs::read_dir(&dist).map_err(|e| format!("cannot read {}: {e}", dist.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "wasm") {
            let bytes = entry.metadata().map(|m| m.len()).unwrap_or(0);
            println!("frontend: {} is {bytes} bytes", path.display());
        }
    }
    Ok(())
}

/// Builds the app and the hub; returns their paths.
pub fn binaries() -> Result<(PathBuf, PathBuf)> {
    // The whole workspace, so features match `cargo test --workspace`: no rebuilds.
    run(cargo().args(["build", "--workspace", "--bins"]))?;
    let dir = target_dir().join("debug");
    Ok((dir.join("sotay-pcmt"), dir.join("pcmt-hub")))
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| proc::root().join("target"))
}
