//! A throwaway PostgreSQL server for tests and benchmarks: Debian's
//! binaries, a data directory in a fresh temporary folder, a free loopback
//! port, its unix socket inside that folder (never /var/run, so it cannot
//! clash with a system cluster), trust authentication for one user. Stopped
//! and deleted when dropped, whatever happened in between.
//!
//! `initdb` and `pg_ctl` refuse to run as root, and CI runs as root: then
//! the folder is given to Debian's `postgres` user and the two commands run
//! as that user through `runuser`.

use crate::proc::{check, cmd, describe, output, Result};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The role and database the tests connect as.
const USER: &str = "pcmt";
/// Debian's server user, owner of the data directory when we are root.
const SERVER_USER: &str = "postgres";

pub struct Postgres {
    dir: PathBuf,
    bin: PathBuf,
    as_root: bool,
    pub port: u16,
}

impl Postgres {
    /// The URL clients use (`PCMT_TEST_PG`): TCP on loopback, so the same
    /// URL works for every process and thread.
    pub fn url(&self) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{USER}", self.port)
    }

    /// `durable`: fsync on, as in production (benchmarks); off for tests,
    /// where durability is not what is checked and fsync only costs time.
    pub fn start(durable: bool) -> Result<Self> {
        let bin = bin_dir()?;
        let as_root = output(cmd("id").arg("-u")).is_some_and(|s| s.trim() == "0");
        let dir = std::env::temp_dir().join(format!(
            "pcmt-pg-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        // From here on Drop cleans up, even if start-up fails half-way.
        let mut pg = Self {
            dir,
            bin,
            as_root,
            port: 0,
        };
        if as_root {
            quiet(cmd("chown").args(["-R", SERVER_USER]).arg(&pg.dir))?;
        }
        let data = pg.dir.join("data");
        quiet(pg.tool("initdb").arg("-D").arg(&data).args([
            "-A",
            "trust",
            "-U",
            USER,
            "-E",
            "UTF8",
            "--no-sync",
        ]))?;
        pg.port = free_port()?;
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=200",
            pg.port,
            pg.dir.display(),
            if durable { "on" } else { "off" }
        );
        quiet(
            pg.tool("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-l"])
                .arg(pg.dir.join("server.log"))
                .args(["-w", "-t", "60", "start"]),
        )
        .map_err(|e| format!("{e}\n{}", pg.log_tail()))?;
        quiet(
            pg.tool("createdb")
                .args(["-h", "127.0.0.1", "-p", &pg.port.to_string(), "-U", USER])
                .arg(USER),
        )?;
        println!("PostgreSQL started for the tests at {}", pg.url());
        Ok(pg)
    }

    /// One of the server's programs, run as its user when we are root.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        if self.as_root {
            let mut c = cmd("runuser");
            c.args(["-u", SERVER_USER, "--"]).arg(program);
            c.current_dir(&self.dir);
            c
        } else {
            cmd(program)
        }
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.port != 0 {
            let data = self.dir.join("data");
            let _ = self
                .tool("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Debian installs each major version under /usr/lib/postgresql/<ver>/bin;
/// the newest one present is used.
fn bin_dir() -> Result<PathBuf> {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map_err(|e| {
            format!(
                "PostgreSQL is not installed ({}: {e}); `cargo xtask setup` installs Debian's postgresql",
                root.display()
            )
        })?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no PostgreSQL server under {}", root.display()))
}

/// A port the kernel just handed out and took back: free for the server to bind.
fn free_port() -> Result<u16> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}

/// Runs a set-up step, showing its output only when it fails.
fn quiet(c: &mut Command) -> Result<()> {
    let out = c
        .output()
        .map_err(|e| format!("could not start `{}`: {e}", describe(c)))?;
    check(c, out.status).map_err(|e| {
        format!(
            "{e}\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// `cargo xtask with-pg CMD…`: runs CMD with `PCMT_TEST_PG` pointing at a
/// throwaway server, then stops it (handy for one crate's tests).
pub fn with_pg(args: &[String]) -> Result<()> {
    let Some((program, rest)) = args.split_first() else {
        return Err(
            "with-pg needs a command to run, e.g. `cargo xtask with-pg cargo test -p pcmt-hub`"
                .into(),
        );
    };
    let pg = Postgres::start(false)?;
    let mut c = cmd(program);
    c.args(rest).env(PG_ENV, pg.url());
    crate::proc::run(&mut c)
}

/// The variable the hub's tests read the server's URL from.
pub const PG_ENV: &str = "PCMT_TEST_PG";
