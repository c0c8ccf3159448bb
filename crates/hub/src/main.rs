//! `pcmt-hub`: the district hub as its own process.

use clap::Parser;
use pcmt_hub::{demo, server, HubStore};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Sổ tay PCMT district hub: stores what tablets send and serves each tablet
/// the records of its communes.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// SQLite database file (created if missing).
    #[arg(long, default_value = "pcmt-hub.db")]
    db: PathBuf,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Seed the demo district (a few sessions) into an empty database.
    #[arg(long)]
    demo: bool,
    /// Office tool: issue a one-time enrolment code for these communes
    /// (comma-separated codes), print it, and exit. Needs --officer.
    #[arg(long, value_name = "COMMUNES", requires = "officer")]
    issue_code: Option<String>,
    /// The officer the enrolment code is for.
    #[arg(long)]
    officer: Option<String>,
    /// How long an enrolment code stays valid, in hours.
    #[arg(long, default_value_t = 72)]
    code_hours: i64,
    /// Sync this hub once with the hub above it (district → province) at
    /// this URL, then exit. The first time needs --uplink-code.
    #[arg(long, value_name = "URL")]
    sync_up: Option<String>,
    /// The one-time code the hub above issued for this hub.
    #[arg(long, requires = "sync_up")]
    uplink_code: Option<String>,
    /// Office tool: withdraw a device (lost, stolen, officer left) and exit.
    #[arg(long, value_name = "DEVICE_ID")]
    revoke: Option<uuid::Uuid>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pcmt-hub: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut hub = HubStore::open(&args.db)?;
    if let (Some(communes), Some(officer)) = (&args.issue_code, &args.officer) {
        let communes: Vec<String> = communes.split(',').map(|c| c.trim().to_string()).collect();
        let code = hub.issue_code(&communes, officer, args.code_hours * 3600)?;
        println!("{code}");
        return Ok(());
    }
    if let Some(device) = args.revoke {
        let done = hub.revoke(device)?;
        println!(
            "{}",
            if done {
                "revoked"
            } else {
                "no such active device"
            }
        );
        return Ok(());
    }
    if let Some(url) = &args.sync_up {
        let hub = std::sync::Mutex::new(hub);
        let code = args.uplink_code.clone();
        let report = tokio::task::spawn_blocking({
            let url = url.clone();
            move || pcmt_hub::uplink::sync_upward(&hub, &url, code.as_deref())
        })
        .await??;
        println!(
            "synced with {url}: sent {} records, received {}",
            report.sent_records, report.received_records
        );
        return Ok(());
    }
    if args.demo {
        let n = demo::seed(&mut hub)?;
        if n > 0 {
            println!("seeded the demo district with {n} sessions");
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("pcmt-hub listening on http://{}", listener.local_addr()?);
    tokio::select! {
        r = server::serve(listener, std::sync::Arc::new(std::sync::Mutex::new(hub))) => r?,
        _ = tokio::signal::ctrl_c() => println!("pcmt-hub stopping"),
    }
    Ok(())
}
