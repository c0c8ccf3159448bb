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
    if args.demo {
        let n = demo::seed(&mut hub)?;
        if n > 0 {
            println!("seeded the demo district with {n} sessions");
        }
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    println!("pcmt-hub listening on http://{}", listener.local_addr()?);
    tokio::select! {
        r = server::serve(listener, hub) => r?,
        _ = tokio::signal::ctrl_c() => println!("pcmt-hub stopping"),
    }
    Ok(())
}
