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

pub fn bench(args: &[String]) -> Result<()> {
    let chosen: Vec<_> = BENCHES
        .iter()
        .filter(|(name, _, _)| args.is_empty() || args.iter().any(|a| a == name))
        .collect();
    if chosen.is_empty() {
        let names: Vec<_> = BENCHES.iter().map(|b| b.0).collect();
        return Err(format!(
            "no benchmark named {args:?}; there are: {}",
            names.join(", ")
        ));
    }
    let out = build::target_dir().join("bench");
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
