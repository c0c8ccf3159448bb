//! What the running app holds: the store, and where and as whom it syncs.

use pcmt_core::{Author, Store};
use pcmt_model::OrgTree;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager};

/// The hub a fresh install talks to until enrolment sets one: the local hub
/// that `cargo xtask run` starts.
const DEFAULT_HUB_URL: &str = "http://127.0.0.1:8787";

pub struct AppState {
    pub store: Arc<Mutex<Store>>,
    pub author: Author,
    pub hub_url: String,
    /// The office's one-time enrolment code, used at the first sync.
    pub enrol_code: Option<String>,
}

impl AppState {
    /// `PCMT_DATA_DIR` and `PCMT_HUB_URL` override the defaults, so tests
    /// and demos run against a store and hub of their own; `PCMT_ENROL_CODE`
    /// enrols the device at its first sync until the enrolment screen exists.
    pub fn open(app: &AppHandle) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = match std::env::var_os("PCMT_DATA_DIR") {
            Some(d) => PathBuf::from(d),
            None => app.path().app_data_dir()?,
        };
        std::fs::create_dir_all(&dir)?;
        let store = Store::open(&dir.join("sotay-pcmt.db"), OrgTree::demo())?;
        Ok(Self {
            store: Arc::new(Mutex::new(store)),
            author: Author {
                officer: std::env::var("PCMT_OFFICER")
                    .unwrap_or_else(|_| "Cán bộ xã (demo)".into()),
            },
            hub_url: std::env::var("PCMT_HUB_URL").unwrap_or_else(|_| DEFAULT_HUB_URL.into()),
            enrol_code: std::env::var("PCMT_ENROL_CODE").ok(),
        })
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}
