//! Builds the frontend (Trunk, offline, with the tools we installed) and the
//! native binaries.

use crate::proc::{self, cargo, cmd, run, Result};
use std::path::PathBuf;

pub fn frontend() -> Result<()> {
    // --offline: Trunk must use our wasm-bindgen, never download one.
    run(cmd("trunk")
        .current_dir(proc::root().join("frontend"))
        .args(["build", "--offline"]))
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
