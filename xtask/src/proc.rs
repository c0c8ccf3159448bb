//! Running commands with errors that say what failed and what to do.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};

pub type Result<T> = std::result::Result<T, String>;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where installed tools live: outside the clone, shared by every checkout.
pub fn tools_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("PCMT_TOOLS_DIR") {
        return PathBuf::from(d);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| root().join("target"));
    cache.join("sotay-pcmt").join("tools")
}

/// PATH with the project's tools first.
pub fn path_with_tools() -> std::ffi::OsString {
    let mut parts = vec![tools_dir().join("bin")];
    if let Some(p) = std::env::var_os("PATH") {
        parts.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(parts).unwrap_or_default()
}

pub fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", path_with_tools());
    c
}

pub fn cargo() -> Command {
    cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

pub fn describe(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

pub fn run(c: &mut Command) -> Result<()> {
    println!("$ {}", describe(c));
    let status = c
        .status()
        .map_err(|e| format!("could not start `{}`: {e}", describe(c)))?;
    check(c, status)
}

pub fn check(c: &Command, status: ExitStatus) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", describe(c)))
    }
}

/// Output of a command that is only asked a question; None when it cannot run.
pub fn output(c: &mut Command) -> Option<String> {
    let out = c.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A background process stopped when this is dropped.
pub struct Background(pub Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
