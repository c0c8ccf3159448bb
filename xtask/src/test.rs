//! `cargo xtask test`: everything CI runs, in the order that fails fastest.

use crate::build;
use crate::pg::{Postgres, PG_ENV};
use crate::proc::{cargo, cmd, run, Result};
use crate::setup;
use crate::versions;
use std::time::Instant;

pub fn test(args: &[String]) -> Result<()> {
    let started = Instant::now();
    let skip_e2e = args.iter().any(|a| a == "--no-e2e");
    setup::all(!skip_e2e)?;
    // The app embeds frontend/dist at compile time, so it is built first.
    build::frontend()?;
    run(cargo().args(["fmt", "--all", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;
    // The tablets run Android: what builds without the NDK is kept building.
    let mut android = cargo();
    android.args(["check", "--target", versions::ANDROID_TARGET]);
    for krate in versions::ANDROID_CHECKED {
        android.args(["-p", krate]);
    }
    run(&mut android)?;
    // The hub's tests run against both stores: SQLite in process, and this
    // throwaway PostgreSQL (stopped when `pg` is dropped, on failure too).
    let pg = Postgres::start(false)?;
    run(cargo().args(["test", "--workspace"]).env(PG_ENV, pg.url()))?;
    drop(pg);
    if !skip_e2e {
        e2e()?;
    }
    println!(
        "\nall tests passed in {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

fn e2e() -> Result<()> {
    let (app, hub) = build::binaries()?;
    let out = build::target_dir().join("e2e");
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    // Our own virtual display: the window never lands on a developer's screen,
    // and CI needs no display at all.
    let mut c = cmd("xvfb-run");
    c.args(["--auto-servernum", "--server-args=-screen 0 1920x1440x24"])
        .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args([
            "test",
            // --workspace keeps features unified with the builds above: no rebuild.
            "--workspace",
            "--test",
            "e2e",
            "--",
            "--ignored",
            "--test-threads=1",
        ])
        .env("PCMT_E2E_APP", &app)
        .env("PCMT_E2E_HUB", &hub)
        .env("PCMT_E2E_OUT", &out);
    run(&mut c)?;
    // The office dashboard, and the mobile position path against a
    // stand-in plugin, in headless Chromium: no display needed.
    let mut c = cargo();
    c.args([
        "test",
        "--workspace",
        "--test",
        "dashboard_e2e",
        "--test",
        "mobile_geolocation",
        "--",
        "--ignored",
        "--test-threads=1",
    ])
    .env("PCMT_E2E_HUB", &hub)
    .env("PCMT_E2E_OUT", &out);
    run(&mut c)?;
    println!("screenshots in {}", out.display());
    Ok(())
}
