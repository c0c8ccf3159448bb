//! `pcmt-hub`: the district hub as its own process.

use clap::Parser;
use pcmt_core::tls::Fingerprint;
use pcmt_hub::rules::sealed::{self, BackupKey};
use pcmt_hub::sqlite::backup;
use pcmt_hub::staff as auth;
use pcmt_hub::web::{self, off_thread};
use pcmt_hub::{demo, uplink, HubStore};
use pcmt_model::Labelled;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

/// Sổ tay PCMT district hub: stores what tablets send and serves each tablet
/// the records of its communes.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// SQLite database file (created if missing); the same as
    /// `--database sqlite:PATH`.
    #[arg(long, default_value = "pcmt-hub.db", conflicts_with = "database")]
    db: PathBuf,
    /// The hub's database: `sqlite:PATH` (one district office, the default)
    /// or `postgres://user@host:port/db` (several hub processes may share
    /// it).
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// With PostgreSQL: connections this process keeps open.
    #[arg(long, default_value_t = pcmt_hub::pg::DEFAULT_POOL_SIZE)]
    pool_size: u32,
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8787")]
    listen: SocketAddr,
    /// Seed the demo district (a few sessions) into an empty database, and
    /// give the demo staff account (`demo`, unit 62-610) a fresh random
    /// password, printed at start-up.
    #[arg(long)]
    demo: bool,
    /// With --demo: also seed a year of the demo district's field work
    /// (people, check-ins, sweeps with sites), once, for the office dashboard.
    #[arg(long, requires = "demo")]
    demo_office: bool,
    /// Office tool: add a dashboard account (or reset its password) for the
    /// org unit given by --unit, and exit. The password is read from the
    /// environment variable PCMT_STAFF_PASSWORD or, without it, from the
    /// first line of standard input; never from the command line.
    #[arg(long, value_name = "NAME", requires = "unit")]
    add_staff: Option<String>,
    /// The org unit (code) a dashboard account may see, with all below it.
    #[arg(long, value_name = "CODE")]
    unit: Option<String>,
    /// With --add-staff: the account administers its unit in the dashboard
    /// (issues enrolment codes, revokes tablets, marks them lost). Without
    /// it the account reads reports only.
    #[arg(long, requires = "add_staff")]
    admin: bool,
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
    /// Where the token the hub above gives this hub is kept: a file of its
    /// own, readable by the hub's user only, never the database (the token
    /// must be presented, so it cannot be kept as a hash). Keep it out of
    /// the database's backups.
    #[arg(long, value_name = "PATH", default_value = "pcmt-hub-uplink.token")]
    uplink_token_file: PathBuf,
    /// The SHA-256 fingerprint of the certificate of the hub above, as its
    /// office gives it, when no public authority vouches for it: that
    /// certificate alone is then trusted.
    #[arg(long, value_name = "SHA256", requires = "sync_up", value_parser = fingerprint_arg)]
    uplink_certificate: Option<Fingerprint>,
    /// Office tool: load the province's administrative units from this
    /// spreadsheet (XLSX or CSV, columns as the dashboard's template),
    /// replacing the hub's list whole, and exit. Every row is checked
    /// first: with any bad row nothing changes and each is listed.
    #[arg(long, value_name = "FILE")]
    load_units: Option<PathBuf>,
    /// Office tool: withdraw a device (officer left, token leaked) and exit.
    /// The officer may enrol it again with a new code.
    #[arg(long, value_name = "DEVICE_ID")]
    revoke: Option<uuid::Uuid>,
    /// Office tool: mark a device lost or stolen and exit. Its token is
    /// refused and its id can never enrol again, whatever code it brings.
    #[arg(long, value_name = "DEVICE_ID")]
    mark_lost: Option<uuid::Uuid>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    /// Tablets must then use an https:// hub address.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// A reverse proxy in front of the hub (repeat for several): requests
    /// from this address are counted, for the limits on failed attempts,
    /// under the client address it names in X-Forwarded-For. From any
    /// other address that header is ignored.
    #[arg(long, value_name = "ADDRESS")]
    trusted_proxy: Vec<std::net::IpAddr>,
    /// Office tool: back the SQLite hub up into this file (sealed with the
    /// backup key), while the hub serves, check the backup, and exit.
    #[arg(long, value_name = "PATH")]
    backup: Option<PathBuf>,
    /// Office tool, with the hub stopped: restore the SQLite database from
    /// this backup (checked first; the current database is kept beside it
    /// as .before-restore-TIME), give the hub a new epoch, and exit.
    #[arg(long, value_name = "PATH", conflicts_with = "backup")]
    restore: Option<PathBuf>,
    /// Office tool: open this backup with the key, check the database in
    /// it, print what it holds, and exit.
    #[arg(long, value_name = "PATH")]
    check_backup: Option<PathBuf>,
    /// The office's backup key: a file of 64 hexadecimal digits, kept
    /// apart from the server (a USB key in the office's safe); or the
    /// environment variable PCMT_BACKUP_KEY. Never stored by the hub.
    #[arg(long, value_name = "PATH")]
    backup_key_file: Option<PathBuf>,
    /// Office tool: write a new random backup key into this new file
    /// (readable by its owner only), and exit.
    #[arg(long, value_name = "PATH")]
    new_backup_key: Option<PathBuf>,
    /// While serving: back up into this directory every --backup-every-hours,
    /// keeping the newest --backup-keep (each checked).
    #[arg(long, value_name = "DIR")]
    backup_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 24, value_name = "HOURS")]
    backup_every_hours: u64,
    #[arg(long, default_value_t = 7, value_name = "N")]
    backup_keep: usize,
    /// Office tool, after a PostgreSQL database was restored with
    /// pg_restore (hub processes stopped): give the hub a new epoch,
    /// recording in the audit log what was restored (e.g. the dump's
    /// name), and exit.
    #[arg(long, value_name = "RESTORED_FROM")]
    new_epoch: Option<String>,
    /// Office tool: seal a file (a pg_dump) with the backup key into --out.
    #[arg(long, value_name = "PATH", requires = "out")]
    seal: Option<PathBuf>,
    /// Office tool: open a sealed file (a pg_dump) with the backup key into
    /// --out.
    #[arg(long, value_name = "PATH", requires = "out", conflicts_with = "seal")]
    unseal: Option<PathBuf>,
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,
}

const DEMO_STAFF: &str = "demo";
/// The demo district (Huyện Đăk Glei): the demo account sees all its communes.
const DEMO_UNIT: &str = "62-610";
const PASSWORD_ENV: &str = "PCMT_STAFF_PASSWORD";

fn random_secret() -> Result<[u8; 9], Box<dyn std::error::Error>> {
    let mut buf = [0u8; 9];
    getrandom::fill(&mut buf).map_err(|e| format!("no randomness available: {e}"))?;
    Ok(buf)
}

/// From the environment, else the first line of standard input (so a
/// password never shows in the process list or the shell history).
fn staff_password() -> Result<String, Box<dyn std::error::Error>> {
    if let Ok(p) = std::env::var(PASSWORD_ENV) {
        return Ok(p);
    }
    eprintln!("Mật khẩu / password (one line on standard input):");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
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

/// Where the hub keeps its data, from `--database` or `--db`.
enum Database {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Database {
    fn of(args: &Args) -> Result<Self, String> {
        match args.database.as_deref() {
            None => Ok(Self::Sqlite(args.db.clone())),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Self::Postgres(url.to_string()))
            }
            Some(url) => url
                .strip_prefix("sqlite:")
                .filter(|p| !p.is_empty())
                .map(|p| Self::Sqlite(PathBuf::from(p.strip_prefix("//").unwrap_or(p))))
                .ok_or_else(|| {
                    format!(
                        "--database {url}: expected sqlite:PATH or postgres://user@host:port/db"
                    )
                }),
        }
    }
}

const BACKUP_KEY_ENV: &str = "PCMT_BACKUP_KEY";

/// The office's backup key, from --backup-key-file or the environment.
fn backup_key(args: &Args) -> Result<BackupKey, Box<dyn std::error::Error>> {
    let text = match (&args.backup_key_file, std::env::var(BACKUP_KEY_ENV)) {
        (Some(path), _) => std::fs::read_to_string(path)
            .map_err(|e| format!("--backup-key-file {}: {e}", path.display()))?,
        (None, Ok(text)) => text,
        (None, Err(_)) => {
            return Err(format!(
                "a backup needs the office's key: --backup-key-file PATH or {BACKUP_KEY_ENV}"
            )
            .into())
        }
    };
    Ok(BackupKey::parse(&text)?)
}

/// The directory of the SQLite database, where plaintext copies are made.
fn work_dir(db: &Path) -> PathBuf {
    match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn checked_line(what: &str, path: &Path, checked: &backup::Checked) -> String {
    format!(
        "{what} {}: {} records, {} bytes, checked (opened with the key and read)",
        path.display(),
        checked.documents,
        checked.bytes
    )
}

/// The office tools that work on files, before the database is opened:
/// a key, sealing a dump, and a restore (which must find the hub stopped
/// and its database not yet opened). True when one ran.
fn file_tools(args: &Args) -> Result<bool, Box<dyn std::error::Error>> {
    if let Some(path) = &args.new_backup_key {
        let key = BackupKey::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| format!("--new-backup-key {}: {e}", path.display()))?;
        std::io::Write::write_all(&mut file, format!("{}\n", key.to_hex()).as_bytes())?;
        println!(
            "backup key written to {}: keep it apart from the server (without it no backup can be opened)",
            path.display()
        );
        return Ok(true);
    }
    if let (Some(input), Some(out)) = (args.seal.as_ref().or(args.unseal.as_ref()), &args.out) {
        let key = backup_key(args)?;
        let mut from = std::io::BufReader::new(std::fs::File::open(input)?);
        let mut to = std::io::BufWriter::new(std::fs::File::create(out)?);
        let bytes = if args.seal.is_some() {
            sealed::seal(&mut from, &mut to, &key)
        } else {
            sealed::open(&mut from, &mut to, &key)
        };
        if let Err(e) = bytes.and_then(|b| {
            std::io::Write::flush(&mut to).map_err(|e| pcmt_hub::HubError::File {
                path: out.display().to_string(),
                source: e,
            })?;
            Ok(b)
        }) {
            drop(to);
            let _ = std::fs::remove_file(out);
            return Err(e.into());
        }
        println!("{} written", out.display());
        return Ok(true);
    }
    if let Some(from) = &args.restore {
        let Database::Sqlite(db) = Database::of(args)? else {
            return Err("--restore is for a SQLite hub; on PostgreSQL use pg_restore, then --new-epoch (see README)".into());
        };
        let key = backup_key(args)?;
        let (epoch, checked) =
            backup::restore_sealed(from, &db, &key, chrono::Utc::now().timestamp())?;
        println!("{}", checked_line("restored from", from, &checked));
        println!(
            "the hub's new epoch is {epoch}: every tablet will offer what it holds and pull again at its next sync"
        );
        return Ok(true);
    }
    Ok(false)
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    if file_tools(&args)? {
        return Ok(());
    }
    // `kind` follows the address in the line saying where the hub listens.
    let (storage, kind): (web::Storage, &str) = match Database::of(&args)? {
        Database::Sqlite(path) => {
            let store = Arc::new(HubStore::open(&path)?);
            if sqlite_tools(&args, &store, &path)? {
                return Ok(());
            }
            (store, "")
        }
        Database::Postgres(url) => {
            let pool_size = args.pool_size;
            // The synchronous client runs its own runtime: connect off the
            // async workers.
            let store =
                tokio::task::spawn_blocking(move || pcmt_hub::PgHubStore::connect(&url, pool_size))
                    .await??;
            (Arc::new(store), " (PostgreSQL)")
        }
    };
    let result = run_with(args, storage.clone(), kind).await;
    // A PostgreSQL pool's connections each own a small runtime, which must
    // not be dropped on an async worker.
    tokio::task::spawn_blocking(move || drop(storage)).await?;
    result
}

/// The office tools of a SQLite hub's backups, and the schedule of a
/// serving hub. True when a tool ran (and the process should end).
fn sqlite_tools(
    args: &Args,
    store: &Arc<HubStore>,
    db: &Path,
) -> Result<bool, Box<dyn std::error::Error>> {
    if let Some(out) = &args.backup {
        let checked = store.backup_sealed(&work_dir(db), out, &backup_key(args)?)?;
        println!("{}", checked_line("backup", out, &checked));
        return Ok(true);
    }
    if let Some(path) = &args.check_backup {
        let checked = backup::check_sealed(path, &work_dir(db), &backup_key(args)?)?;
        println!("{}", checked_line("backup", path, &checked));
        return Ok(true);
    }
    if let Some(dir) = args.backup_dir.clone() {
        let key = backup_key(args)?;
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("--backup-dir {}: {e}", dir.display()))?;
        let (store, work, keep) = (store.clone(), work_dir(db), args.backup_keep);
        let every = std::time::Duration::from_secs(args.backup_every_hours.max(1) * 3600);
        println!(
            "backing up into {} every {} h, keeping {keep}",
            dir.display(),
            args.backup_every_hours.max(1)
        );
        std::thread::spawn(move || loop {
            std::thread::sleep(every);
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            match backup::scheduled_backup(&store, &work, &dir, &key, keep, &stamp) {
                Ok((path, checked)) => {
                    tracing::info!("{}", checked_line("scheduled backup", &path, &checked))
                }
                Err(e) => {
                    tracing::error!(error = %pcmt_hub::error::error_chain(&e), "scheduled backup failed")
                }
            }
        });
    }
    Ok(false)
}

async fn run_with(
    args: Args,
    storage: web::Storage,
    kind: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(from) = args.new_epoch.clone() {
        let epoch = on_blocking(storage, move |s| s.new_epoch(&from)).await?;
        println!(
            "the hub's new epoch is {epoch}: every tablet will offer what it holds and pull again at its next sync"
        );
        return Ok(());
    }
    if args.backup.is_some() || args.check_backup.is_some() || args.backup_dir.is_some() {
        return Err("--backup, --check-backup and --backup-dir are for a SQLite hub; on PostgreSQL use pg_dump and --seal (see README)".into());
    }
    if let (Some(communes), Some(officer)) = (&args.issue_code, &args.officer) {
        let communes: Vec<String> = communes.split(',').map(|c| c.trim().to_string()).collect();
        let (officer, hours) = (officer.clone(), args.code_hours);
        // Read first: a code is not spent on a hub whose certificate
        // cannot be read.
        let certificate = args.tls_cert.as_deref().map(fingerprint_of).transpose()?;
        let code = on_blocking(storage, move |s| {
            s.issue_code(&communes, &officer, hours * 3600)
        })
        .await?;
        println!("{code}");
        if let Some(fingerprint) = certificate {
            // For the officer to compare with what the tablet shows at its
            // first sync, before it trusts the hub.
            println!("{}", certificate_line(&fingerprint));
        }
        return Ok(());
    }
    if let Some(path) = &args.load_units {
        let bytes =
            std::fs::read(path).map_err(|e| format!("--load-units {}: {e}", path.display()))?;
        let lang = pcmt_model::Lang::Vi;
        let rows = pcmt_hub::rules::units::read_file(&bytes).map_err(|e| e.message(lang))?;
        let tree = match pcmt_model::org_sheet::read_rows(&rows) {
            Ok(tree) => tree,
            Err(errors) => {
                for e in &errors {
                    eprintln!("{}", e.message(lang));
                }
                return Err(format!(
                    "{}: {} dòng lỗi, chưa nạp gì / {} bad rows, nothing loaded",
                    path.display(),
                    errors.len(),
                    errors.len()
                )
                .into());
            }
        };
        let count = tree.units().count();
        let version = on_blocking(storage, move |s| {
            s.load_units(&tree, &pcmt_hub::rules::audit::Actor::office())
        })
        .await?;
        println!("loaded {count} units: the list's version is now {version}");
        return Ok(());
    }
    if let Some(device) = args.revoke {
        let done = on_blocking(storage, move |s| s.revoke(device)).await?;
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
    if let Some(device) = args.mark_lost {
        let done = on_blocking(storage, move |s| s.mark_lost(device)).await?;
        println!(
            "{}",
            if done {
                "marked lost: refused for good, may not enrol again"
            } else {
                "no such device, or already marked lost"
            }
        );
        return Ok(());
    }
    if let Some(url) = args.sync_up.clone() {
        let code = args.uplink_code.clone();
        let shown = url.clone();
        let above = uplink::Above {
            url,
            certificate: args.uplink_certificate,
            token_file: uplink::TokenFile::new(&args.uplink_token_file),
        };
        let report = on_blocking(storage, move |s| {
            uplink::sync_upward(s, &above, code.as_deref())
        })
        .await?;
        println!(
            "synced with {shown}: sent {} records, received {}",
            report.sent_records, report.received_records
        );
        return Ok(());
    }
    if let (Some(name), Some(unit)) = (args.add_staff.clone(), args.unit.clone()) {
        let password = staff_password()?;
        let (n, u) = (name.clone(), unit.clone());
        let role = if args.admin {
            auth::Role::Admin
        } else {
            auth::Role::Staff
        };
        off_thread(storage, move |s| {
            auth::add_staff(s, &n, &password, &u, role)
        })
        .await??;
        println!(
            "staff account {name} ({}) can now sign in to the dashboard for unit {unit}",
            role.code()
        );
        return Ok(());
    }
    let mut demo_password = None;
    if args.demo {
        let (office, today) = (args.demo_office, chrono::Local::now().date_naive());
        let password = hex::encode(random_secret()?);
        let (shown, store) = (password.clone(), storage.clone());
        let (sessions, records) = off_thread(store, move |store| {
            let sessions = demo::seed(store)?;
            let records = if office {
                demo::seed_office(store, today)?
            } else {
                0
            };
            // The demo account administers the demo district, so every
            // page of the dashboard can be tried.
            auth::add_staff(store, DEMO_STAFF, &password, DEMO_UNIT, auth::Role::Admin)?;
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>((sessions, records))
        })
        .await?
        .map_err(|e| e.to_string())?;
        if sessions > 0 {
            println!("seeded the demo district with {sessions} sessions");
        }
        if records > 0 {
            println!("seeded a year of the demo district's field work: {records} records");
        }
        demo_password = Some(shown);
    }
    let limits = web::Limits {
        trusted_proxies: args.trusted_proxy.clone(),
        ..web::Limits::default()
    };
    let listener = Listener::bind(&args).await?;
    let url = listener.url()?;
    if let Some(cert) = &args.tls_cert {
        println!("{}", certificate_line(&fingerprint_of(cert)?));
    }
    if let Some(password) = demo_password {
        println!(
            "demo dashboard account: {DEMO_STAFF} / {password} (unit {DEMO_UNIT}) at {url}/dashboard"
        );
    }
    // Last line before serving: the end-to-end harness reads the address
    // from it (the rest of the line, on SQLite).
    println!("pcmt-hub listening on {url}{kind}");
    tokio::select! {
        r = listener.serve(web::router_with(storage, limits)) => r?,
        _ = tokio::signal::ctrl_c() => println!("pcmt-hub stopping"),
    }
    Ok(())
}

/// The fingerprint of the hub's own certificate (the first of the chain).
fn fingerprint_of(cert: &Path) -> Result<Fingerprint, String> {
    std::fs::read(cert)
        .ok()
        .and_then(|pem| Fingerprint::of_pem(&pem))
        .ok_or_else(|| format!("--tls-cert {}: no certificate can be read", cert.display()))
}

fn certificate_line(fingerprint: &Fingerprint) -> String {
    format!("Dấu vân tay chứng chỉ máy chủ / hub certificate SHA-256: {fingerprint}")
}

fn fingerprint_arg(text: &str) -> Result<Fingerprint, String> {
    Fingerprint::parse(text)
        .ok_or_else(|| "expected 64 hexadecimal digits (spaces and colons allowed)".into())
}

/// Runs an office tool on the storage off the async workers.
async fn on_blocking<T: Send + 'static>(
    storage: web::Storage,
    work: impl FnOnce(&dyn pcmt_hub::HubStorage) -> Result<T, pcmt_hub::HubError> + Send + 'static,
) -> Result<T, Box<dyn std::error::Error>> {
    Ok(off_thread(storage, work).await??)
}

/// The bound port, plain or with the office's certificate.
enum Listener {
    Http(tokio::net::TcpListener),
    Https(std::net::TcpListener, web::RustlsConfig),
}

impl Listener {
    /// Binds `--listen`; with `--tls-cert` and `--tls-key`, reads them
    /// first, so a bad certificate stops the hub before it serves anything.
    async fn bind(args: &Args) -> Result<Self, Box<dyn std::error::Error>> {
        match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => {
                let config = web::tls_config(cert, key).await.map_err(|e| {
                    format!(
                        "--tls-cert {} --tls-key {}: {e}",
                        cert.display(),
                        key.display()
                    )
                })?;
                Ok(Self::Https(
                    std::net::TcpListener::bind(args.listen)?,
                    config,
                ))
            }
            _ => Ok(Self::Http(
                tokio::net::TcpListener::bind(args.listen).await?,
            )),
        }
    }

    fn url(&self) -> std::io::Result<String> {
        Ok(match self {
            Self::Http(l) => format!("http://{}", l.local_addr()?),
            Self::Https(l, _) => format!("https://{}", l.local_addr()?),
        })
    }

    async fn serve(self, router: axum::Router) -> std::io::Result<()> {
        match self {
            Self::Http(l) => web::serve_router(l, router).await,
            Self::Https(l, config) => web::serve_tls(l, config, router).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(args: &[&str]) -> Result<Database, String> {
        Database::of(&Args::parse_from(
            std::iter::once("pcmt-hub").chain(args.iter().copied()),
        ))
    }

    #[test]
    fn the_database_is_sqlite_by_default_or_what_the_url_says() {
        assert!(matches!(database(&[]), Ok(Database::Sqlite(p)) if p == Path::new("pcmt-hub.db")));
        assert!(
            matches!(database(&["--db", "a.db"]), Ok(Database::Sqlite(p)) if p == Path::new("a.db"))
        );
        assert!(matches!(
            database(&["--database", "sqlite:/srv/hub.db"]),
            Ok(Database::Sqlite(p)) if p == Path::new("/srv/hub.db")
        ));
        assert!(matches!(
            database(&["--database", "postgres://hub@db:5432/pcmt"]),
            Ok(Database::Postgres(u)) if u == "postgres://hub@db:5432/pcmt"
        ));
        assert!(database(&["--database", "mysql://x"]).is_err());
        assert!(database(&["--database", "sqlite:"]).is_err());
        assert!(
            Args::try_parse_from(["pcmt-hub", "--db", "a.db", "--database", "sqlite:b.db"])
                .is_err()
        );
    }

    #[test]
    fn a_certificate_needs_its_key_and_a_lost_device_its_id() {
        assert!(Args::try_parse_from(["pcmt-hub", "--tls-cert", "hub.crt"]).is_err());
        assert!(Args::try_parse_from(["pcmt-hub", "--tls-key", "hub.key"]).is_err());
        let args =
            Args::try_parse_from(["pcmt-hub", "--tls-cert", "hub.crt", "--tls-key", "hub.key"])
                .unwrap();
        assert_eq!(args.tls_cert.as_deref(), Some(Path::new("hub.crt")));
        assert!(Args::try_parse_from(["pcmt-hub", "--mark-lost", "tablet-7"]).is_err());
        let id = uuid::Uuid::now_v7();
        let args = Args::try_parse_from(["pcmt-hub", "--mark-lost", &id.to_string()]).unwrap();
        assert_eq!(args.mark_lost, Some(id));
    }

    #[test]
    fn the_hub_above_is_pinned_by_its_fingerprint_as_its_office_writes_it() {
        let fp = Fingerprint::of(b"the province's certificate");
        let up = ["pcmt-hub", "--sync-up", "https://tinh.example"];
        let with = |pin: &str| {
            Args::try_parse_from(up.iter().copied().chain(["--uplink-certificate", pin]))
        };
        assert_eq!(with(&fp.to_string()).unwrap().uplink_certificate, Some(fp));
        assert_eq!(with(&fp.to_hex()).unwrap().uplink_certificate, Some(fp));
        assert!(with("AB12 CD34").is_err());
        assert!(Args::try_parse_from(["pcmt-hub", "--uplink-certificate", &fp.to_hex()]).is_err());
    }
}
