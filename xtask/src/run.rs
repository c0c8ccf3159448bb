//! `cargo xtask run`: a hub with the demo district (and a year of its field
//! work, for the office dashboard at /dashboard) on 127.0.0.1:8787 and the
//! app syncing with it, data kept under target/demo so a second run
//! continues where the first stopped.

use crate::build;
use crate::proc::{cmd, Background, Result};
use crate::setup;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::time::{Duration, Instant};

const HUB_ADDR: &str = "127.0.0.1:8787";

pub fn run(_args: &[String]) -> Result<()> {
    setup::all(false)?;
    build::frontend()?;
    let (app, hub) = build::binaries()?;
    let demo = build::target_dir().join("demo");
    std::fs::create_dir_all(&demo).map_err(|e| format!("cannot create {}: {e}", demo.display()))?;

    let addr: SocketAddr = HUB_ADDR.parse().map_err(|e| format!("{e}"))?;
    if TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() {
        return Err(format!(
            "something already listens on {HUB_ADDR} (another `cargo xtask run`?). Stop it and try again."
        ));
    }
    // The tablet enrols with a one-time code, as it would at the office.
    let communes = "62-610-23284,62-610-23287,62-610-23290";
    let code = crate::proc::output(cmd(&hub).arg("--db").arg(demo.join("hub.db")).args([
        "--issue-code",
        communes,
        "--officer",
        "Cán bộ xã (demo)",
    ]))
    .ok_or("the hub could not issue an enrolment code")?;
    let code = code.trim();
    let _hub = Background(
        cmd(&hub)
            .args(["--demo", "--demo-office", "--listen", HUB_ADDR, "--db"])
            .arg(demo.join("hub.db"))
            .spawn()
            .map_err(|e| format!("cannot start the hub: {e}"))?,
    );
    wait_for(addr)?;

    let tablet = demo.join("tablet");
    let mut app_cmd = cmd(&app);
    app_cmd
        .env("PCMT_DATA_DIR", &tablet)
        .env("PCMT_HUB_URL", format!("http://{HUB_ADDR}"))
        .env("PCMT_ENROL_CODE", code);
    let has_display =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if has_display {
        println!(
            "Sổ tay PCMT is starting; the hub runs at http://{HUB_ADDR}. Close the window to stop."
        );
        let status = app_cmd
            .status()
            .map_err(|e| format!("cannot start the app: {e}"))?;
        return crate::proc::check(&app_cmd, status);
    }
    headless(&app, &tablet, code, &build::target_dir().join("run"))
}

fn wait_for(addr: SocketAddr) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("the hub did not start listening on {addr}"))
}

/// No display: run the app in a virtual one and say how to see it.
fn headless(app: &Path, tablet: &Path, code: &str, out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let shot = out.join("app.png");
    println!(
        "\nThis machine has no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the app \
         runs inside a virtual display (Xvfb).\n\
         To use it with your own eyes, run `cargo xtask run` from a desktop session, or over \
         `ssh -X`. Meanwhile a screenshot of the running app is saved to {} every 10 seconds.\n\
         The hub runs at http://{HUB_ADDR}. Press Ctrl+C to stop.\n",
        shot.display()
    );
    let script = r#""$0" & app=$!
while kill -0 "$app" 2>/dev/null; do sleep 10; import -window root "$1.tmp.png" && mv "$1.tmp.png" "$1"; done
wait "$app""#;
    let mut c = cmd("xvfb-run");
    c.args([
        "--auto-servernum",
        "--server-args=-screen 0 1280x800x24",
        "sh",
        "-c",
        script,
    ])
    .arg(app)
    .arg(&shot)
    .env("PCMT_DATA_DIR", tablet)
    .env("PCMT_HUB_URL", format!("http://{HUB_ADDR}"))
    .env("PCMT_ENROL_CODE", code);
    crate::proc::run(&mut c)
}
