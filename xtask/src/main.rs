//! `cargo xtask …`: the project's commands. See `cargo xtask help`.

mod bench;
mod build;
// Tests only: the module layout checks `cargo xtask test` runs with the workspace.
#[cfg(test)]
mod layers;
mod pg;
mod proc;
mod run;
mod setup;
mod test;
mod versions;

use std::process::ExitCode;

const HELP: &str = "\
cargo xtask <command>

  run          set up what is missing, start a hub with a demo district and the app
  test         set up what is missing, run every test (lint, unit, scenario, end-to-end)
  bench [name] run the benchmarks (store, sync, …), write target/bench/*.json, print a table
  setup        only set up what is missing
  with-pg CMD  run CMD with PCMT_TEST_PG set to a throwaway PostgreSQL, then stop it
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("run") => run::run(rest),
        Some("test") => test::test(rest),
        Some("bench") => bench::bench(rest),
        Some("setup") => setup::all(true),
        Some("with-pg") => pg::with_pg(rest),
        Some("help" | "--help" | "-h") | None => {
            print!("{HELP}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{HELP}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask: {e}");
            ExitCode::FAILURE
        }
    }
}
