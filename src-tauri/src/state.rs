//! What the running app holds: the store, and the environment's defaults for
//! the first-start screen.

use pcmt_core::{Author, CoreError, Store};
use pcmt_model::api::Settings;
use pcmt_model::{Lang, OrgTree};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager};

/// The hub a fresh install offers until the officer types another: the
/// local hub that `cargo xtask run` starts.
const DEFAULT_HUB_URL: &str = "http://127.0.0.1:8787";

/// The office's one-time code, kept on the device until the first sync uses it.
pub const ENROL_CODE_KEY: &str = "enrol_code";

pub struct AppState {
    pub store: Arc<Mutex<Store>>,
    /// What the first-start screen offers: `PCMT_HUB_URL`, `PCMT_OFFICER` and
    /// `PCMT_ENROL_CODE` fill it in for demos and tests; the officer confirms.
    pub defaults: Defaults,
    /// Where report files go: `PCMT_EXPORT_DIR`, else the Downloads folder
    /// (where an office clerk looks), else `exports` beside the store.
    pub export_dir: PathBuf,
}

#[derive(Clone)]
pub struct Defaults {
    pub hub_url: String,
    pub officer: String,
    pub code: String,
}

impl AppState {
    /// `PCMT_DATA_DIR` overrides where the store lives, so tests and demos
    /// run against a store of their own.
    pub fn open(app: &AppHandle) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = match std::env::var_os("PCMT_DATA_DIR") {
            Some(d) => PathBuf::from(d),
            None => app.path().app_data_dir()?,
        };
        std::fs::create_dir_all(&dir)?;
        let store = Store::open(&dir.join("sotay-pcmt.db"), OrgTree::demo())?;
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let export_dir = std::env::var_os("PCMT_EXPORT_DIR")
            .map(PathBuf::from)
            .or_else(|| app.path().download_dir().ok())
            .unwrap_or_else(|| dir.join("exports"));
        Ok(Self {
            store: Arc::new(Mutex::new(store)),
            export_dir,
            defaults: Defaults {
                hub_url: env("PCMT_HUB_URL").unwrap_or_else(|| DEFAULT_HUB_URL.into()),
                officer: env("PCMT_OFFICER").unwrap_or_default(),
                code: env("PCMT_ENROL_CODE").unwrap_or_default(),
            },
        })
    }

    pub fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Who signs the changes made now.
    pub fn author(&self) -> Result<Author, CoreError> {
        Ok(Author {
            officer: self.settings_or_defaults()?.officer,
        })
    }

    /// Settings to show: saved ones, or the defaults for a fresh tablet.
    pub fn settings_or_defaults(&self) -> Result<Settings, CoreError> {
        Ok(self.store().settings()?.unwrap_or_else(|| Settings {
            lang: Lang::Vi,
            officer: self.defaults.officer.clone(),
            unit: String::new(),
            hub_url: self.defaults.hub_url.clone(),
        }))
    }
}
