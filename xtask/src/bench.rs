//! `cargo xtask bench [name…]`: runs the benchmarks (release builds), each
//! writing target/bench/<name>.json, then prints every summary as a table.

use crate::build;
use crate::pg::{Postgres, PG_ENV};
use crate::proc::{cargo, run, Result};

/// Benchmark name → (package, bench target).
const BENCHES: &[(&str, &str, &str)] = &[
    ("store", "pcmt-core", "store"),
    ("report", "pcmt-core", "report"),
    ("sync", "sotay-pcmt", "sync"),
    ("hub", "sotay-pcmt", "hub"),
];

/// The property tests of sync over a bad network, at many more cases than
/// CI runs (`PCMT_SIM_CASES`, default 1,000), timed: a benchmark of their
/// reach rather than of speed.
const SIM: &str = "sim";
const SIM_CASES: u32 = 1000;

pub fn bench(args: &[String]) -> Result<()> {
    let wanted = |name: &str| args.is_empty() || args.iter().any(|a| a == name);
    let chosen: Vec<_> = BENCHES.iter().filter(|(name, _, _)| wanted(name)).collect();
    if chosen.is_empty() && !wanted(SIM) {
        let names: Vec<_> = BENCHES.iter().map(|b| b.0).chain([SIM]).collect();
        return Err(format!(
            "no benchmark named {args:?}; there are: {}",
            names.join(", ")
        ));
    }
    let out = build::target_dir().join("bench");
    if wanted(SIM) {
        sim(&out)?;
    }
    for (name, package, target) in &chosen {
        let mut c = cargo();
        c.args(["bench", "-p", package, "--bench", target])
            .env("PCMT_BENCH_DIR", &out);
        // The hub benchmark runs hub processes against a real PostgreSQL
        // (durable, as in production), stopped when `_pg` is dropped.
        let _pg = if *name == "hub" {
            run(cargo().args(["build", "--release", "-p", "pcmt-hub"]))?;
            let pg = Postgres::start(true)?;
            c.env(PG_ENV, pg.url()).env(
                "PCMT_BENCH_HUB",
                build::target_dir().join("release").join("pcmt-hub"),
            );
            Some(pg)
        } else {
            None
        };
        run(&mut c)?;
        print_table(name, &out.join(format!("{name}.json")))?;
    }
    Ok(())
}

/// Runs the SQLite property test of `tests/sim_network.rs` with many cases
/// (release build) and writes how many and how long to `sim.json`.
fn sim(out: &std::path::Path) -> Result<()> {
    let cases: u32 = std::env::var("PCMT_SIM_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SIM_CASES);
    let test = "replicas_converge_and_keep_every_acknowledged_save";
    let mut c = cargo();
    c.args([
        "test",
        "--release",
        "-p",
        "sotay-pcmt",
        "--test",
        "sim_network",
    ]);
    run(c.arg("--no-run"))?;
    let mut c = cargo();
    c.args([
        "test",
        "--release",
        "-p",
        "sotay-pcmt",
        "--test",
        "sim_network",
    ])
    .args(["--", "--exact", test])
    .env("PROPTEST_CASES", cases.to_string());
    let started = std::time::Instant::now();
    run(&mut c)?;
    let seconds = started.elapsed().as_secs_f64();
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let path = out.join(format!("{SIM}.json"));
    let json = serde_json::json!({
        "test": test,
        "cases": cases,
        "seconds": seconds,
        "cases_per_second": f64::from(cases) / seconds,
    });
    std::fs::write(&path, json.to_string()).map_err(|e| format!("{}: {e}", path.display()))?;
    print_table(SIM, &path)
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
