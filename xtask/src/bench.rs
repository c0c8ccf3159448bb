//! `cargo xtask bench [name…]`: runs the benchmarks (release builds), each
//! writing target/bench/<name>.json, then prints every summary as a table.

use crate::build;
use crate::pg::{Postgres, PG_ENV};
use crate::proc::{cargo, cmd, run, Result};

/// Benchmark name → (package, bench target).
const BENCHES: &[(&str, &str, &str)] = &[
    ("store", "pcmt-core", "store"),
    ("report", "pcmt-core", "report"),
    ("sync", "sotay-pcmt", "sync"),
    ("hub", "sotay-pcmt", "hub"),
    ("app", "sotay-pcmt", "app"),
    ("backup", "sotay-pcmt", "backup"),
    ("import", "pcmt-hub", "import"),
    ("photos", "sotay-pcmt", "photos"),
];

/// Test suites run as benchmarks of their reach, in release builds: the
/// property tests of sync over a bad network with many more cases than CI
/// runs (`PCMT_SIM_CASES`, default 1,000), and the fuzzing targets for a
/// minute each (`PCMT_FUZZ_MS`), timed.
const SIM: &str = "sim";
const SIM_CASES: u32 = 1000;
const FUZZ: &str = "fuzz";
const FUZZ_MS: u64 = 60_000;

pub fn bench(args: &[String]) -> Result<()> {
    let wanted = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    let chosen: Vec<_> = BENCHES.iter().filter(|(name, _, _)| wanted(name)).collect();
    if chosen.is_empty() && !wanted(SIM) && !wanted(FUZZ) {
        let names: Vec<_> = BENCHES.iter().map(|b| b.0).chain([SIM, FUZZ]).collect();
        return Err(format!(
            "no benchmark named {args:?}; there are: {}",
            names.join(", ")
        ));
    }
    let out = build::target_dir().join("bench");
    if wanted(SIM) {
        sim(&out)?;
    }
    if wanted(FUZZ) {
        fuzz(&out)?;
    }
    for (name, package, target) in &chosen {
        let mut c = if *name == "app" {
            app_bench_command()?
        } else {
            cargo()
        };
        c.args(["bench", "-p", package, "--bench", target])
            .env("PCMT_BENCH_DIR", &out);
        // The hub benchmark runs hub processes against a real PostgreSQL
        // (durable, as in production), stopped when `_pg` is dropped.
        // `PCMT_BENCH_HUB` already set runs a hub binary built before (to
        // set another commit's beside this one's on the same machine).
        let _pg = if *name == "hub" {
            let hub = match std::env::var_os("PCMT_BENCH_HUB") {
                Some(bin) => std::path::PathBuf::from(bin),
                None => {
                    run(cargo().args(["build", "--release", "-p", "pcmt-hub"]))?;
                    build::target_dir().join("release").join("pcmt-hub")
                }
            };
            let pg = Postgres::start(true)?;
            c.env(PG_ENV, pg.url()).env("PCMT_BENCH_HUB", hub);
            Some(pg)
        } else {
            None
        };
        run(&mut c)?;
        print_table(name, &out.join(format!("{name}.json")))?;
    }
    Ok(())
}

/// The app benchmark drives the release app in its window: the frontend
/// and both binaries built in release first, then `cargo` under our own
/// virtual display, with tauri-driver on PATH (`cmd` puts the tools there).
fn app_bench_command() -> Result<std::process::Command> {
    build::frontend()?;
    run(cargo().args([
        "build",
        "--release",
        "-p",
        "sotay-pcmt-app",
        "-p",
        "pcmt-hub",
        "--bins",
    ]))?;
    let release = build::target_dir().join("release");
    let mut c = cmd("xvfb-run");
    c.args(["--auto-servernum", "--server-args=-screen 0 1920x1440x24"])
        .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .env("PCMT_E2E_APP", release.join("sotay-pcmt"))
        .env("PCMT_E2E_HUB", release.join("pcmt-hub"));
    Ok(c)
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs one integration test target of `package` in a release build (built
/// first, so that only the run is timed), with `env`; returns the seconds.
fn timed_test(package: &str, test: &str, args: &[&str], env: &[(&str, String)]) -> Result<f64> {
    let mut c = cargo();
    c.args(["test", "--release", "-p", package, "--test", test]);
    run(c.arg("--no-run"))?;
    let mut c = cargo();
    c.args(["test", "--release", "-p", package, "--test", test, "--"])
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)));
    let started = std::time::Instant::now();
    run(&mut c)?;
    Ok(started.elapsed().as_secs_f64())
}

fn write_json(out: &std::path::Path, name: &str, json: &serde_json::Value) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join(format!("{name}.json"));
    std::fs::write(&path, json.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
    print_table(name, &path)
}

/// The SQLite property test of `tests/sim_network.rs` with many cases.
fn sim(out: &std::path::Path) -> Result<()> {
    let cases: u32 = env_or("PCMT_SIM_CASES", SIM_CASES);
    let test = "replicas_converge_and_keep_every_acknowledged_save";
    let seconds = timed_test(
        "sotay-pcmt",
        "sim_network",
        &["--exact", test],
        &[("PROPTEST_CASES", cases.to_string())],
    )?;
    write_json(
        out,
        SIM,
        &serde_json::json!({
            "test": test,
            "cases": cases,
            "seconds": seconds,
            "cases_per_second": f64::from(cases) / seconds,
        }),
    )
}

/// The fuzzing targets of the core and the hub (`tests/fuzz.rs` in each),
/// each for `PCMT_FUZZ_MS`; the summary has how many inputs each tried.
/// A crash fails the run and prints the seed that replays it.
fn fuzz(out: &std::path::Path) -> Result<()> {
    let budget: u64 = env_or("PCMT_FUZZ_MS", FUZZ_MS);
    let report = out.join("fuzz-targets.jsonl");
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let _ = std::fs::remove_file(&report);
    let env = [
        ("PCMT_FUZZ_MS", budget.to_string()),
        ("PCMT_FUZZ_REPORT", report.display().to_string()),
    ];
    let mut seconds = 0.0;
    for package in ["pcmt-core", "pcmt-hub"] {
        // One target at a time: each has the machine to itself.
        seconds += timed_test(package, "fuzz", &["--test-threads=1"], &env)?;
    }
    let text =
        std::fs::read_to_string(&report).map_err(|e| format!("{}: {e}", report.display()))?;
    let mut summary = serde_json::Map::new();
    summary.insert("budget_ms_per_target".into(), budget.into());
    summary.insert("seconds".into(), seconds.into());
    for line in text.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("{}: {e}", report.display()))?;
        if let (Some(target), Some(inputs)) = (v["target"].as_str(), v["inputs"].as_u64()) {
            summary.insert(format!("{target}_inputs"), inputs.into());
        }
    }
    write_json(out, FUZZ, &serde_json::Value::Object(summary))
}

fn print_table(name: &str, path: &std::path::Path) -> Result<()> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    println!("\n{name} ({})", path.display());
    if let Some(map) = json.as_object() {
        // Keys as wide as the longest (the hub's run names are long).
        let width = map
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0)
            .max(34);
        println!("{:-<w$}", "", w = width + 14);
        for (k, v) in map {
            let shown = match v.as_f64() {
                Some(f) if f.fract() != 0.0 => format!("{f:.3}"),
                _ => v.to_string(),
            };
            println!("{k:<width$} {shown:>13}");
        }
    }
    Ok(())
}
