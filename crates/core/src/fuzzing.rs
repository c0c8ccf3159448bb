//! Fuzzing on stable Rust, for the tests of the crates that read what other
//! machines send (feature `testing`): [`fuzz`] runs a target on arbitrary
//! inputs for a time budget, `PCMT_FUZZ_MS` per target (300 ms in `cargo
//! test`; `cargo xtask bench fuzz` gives each a minute), and a failure
//! prints the seed that replays it (`PCMT_FUZZ_SEED=0x…`); [`mutated`]
//! makes an input from valid ones. Every crash found is kept as a
//! regression test that must return an error.

pub use arbitrary::{Error, Result, Unstructured};

/// Runs `target` on arbitrary inputs for the budget, counting them, and
/// says how many it tried (appended to `PCMT_FUZZ_REPORT` when set).
pub fn fuzz(name: &str, mut target: impl FnMut(&mut Unstructured<'_>) -> Result<()>) {
    let budget: u64 = std::env::var("PCMT_FUZZ_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut inputs = 0u64;
    let mut test = arbtest::arbtest(|u| {
        inputs += 1;
        target(u)
    });
    if let Some(seed) = std::env::var("PCMT_FUZZ_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
    {
        test = test.seed(seed);
    } else {
        test = test.budget_ms(budget);
    }
    test.run();
    println!("fuzz {name}: {inputs} inputs");
    if let Some(path) = std::env::var_os("PCMT_FUZZ_REPORT") {
        use std::io::Write;
        let line =
            format!("{{\"target\":\"{name}\",\"inputs\":{inputs},\"budget_ms\":{budget}}}\n");
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| f.write_all(line.as_bytes()))
            .expect("the fuzz report is writable");
    }
}

/// A valid input mutated a few times, or arbitrary bytes.
pub fn mutated(u: &mut Unstructured<'_>, seeds: &[Vec<u8>]) -> Result<Vec<u8>> {
    if seeds.is_empty() || u.ratio(1, 5)? {
        return u.arbitrary();
    }
    let mut bytes = u.choose(seeds)?.clone();
    for _ in 0..u.int_in_range(1..=6)? {
        let at = |u: &mut Unstructured<'_>, len: usize| u.choose_index(len.max(1));
        match u.int_in_range(0..=4)? {
            0 if !bytes.is_empty() => {
                let i = at(u, bytes.len())?;
                bytes[i] ^= 1 << u.int_in_range(0..=7)?;
            }
            1 if !bytes.is_empty() => {
                let i = at(u, bytes.len())?;
                bytes[i] = u.arbitrary()?;
            }
            2 => {
                let i = at(u, bytes.len() + 1)?;
                bytes.truncate(i);
            }
            3 => {
                let i = at(u, bytes.len() + 1)?.min(bytes.len());
                let extra: Vec<u8> = u.arbitrary()?;
                bytes.splice(i..i, extra);
            }
            _ if !bytes.is_empty() => {
                let i = at(u, bytes.len())?;
                let n = u.int_in_range(1..=16)?.min(bytes.len() - i);
                let copy = bytes[i..i + n].to_vec();
                bytes.splice(i..i, copy);
            }
            _ => {}
        }
    }
    Ok(bytes)
}
