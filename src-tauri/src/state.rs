//! What the running app holds: the store (only while unlocked), the vault
//! that guards its key, the idle-lock rule, and the environment's defaults
//! for the first-start screen.

use crate::autosync::Syncing;
use pcmt_core::shared::{SharedStore, StoreAccess};
use pcmt_core::vault::{IdleLock, Vault};
use pcmt_core::{Author, CoreError, Store};
use pcmt_model::api::{CommandError, LockState, Settings};
use pcmt_model::{Lang, OrgTree};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tauri::{AppHandle, Manager};

/// The hub a fresh install offers until the officer types another: the
/// local hub that `cargo xtask run` starts.
const DEFAULT_HUB_URL: &str = "http://127.0.0.1:8787";

const DB_FILE: &str = "sotay-pcmt.db";

/// The officer's language, beside the vault: the PIN screen shows before
/// the store (which holds the settings) can be read. Not secret.
const LANG_FILE: &str = "ui-lang";

pub struct AppState {
    /// `None` while locked: the store and its key are dropped (and the key
    /// wiped) when the app locks. Shared with a sync running beside the
    /// commands.
    pub store: Arc<Mutex<Option<Store>>>,
    vault: Vault,
    db: PathBuf,
    idle: Mutex<IdleLock>,
    /// A copy of the settings' language, readable while locked.
    lang: Mutex<Lang>,
    lang_file: PathBuf,
    /// What the first-start screen offers: `PCMT_HUB_URL`, `PCMT_OFFICER` and
    /// `PCMT_ENROL_CODE` fill it in for demos and tests; the officer confirms.
    pub defaults: Defaults,
    /// Where report files go: `PCMT_EXPORT_DIR`, else the Downloads folder
    /// (where an office clerk looks), else `exports` beside the store.
    pub export_dir: PathBuf,
    /// When the tablet syncs by itself, and the one sync at a time.
    pub syncing: Syncing,
}

#[derive(Clone)]
pub struct Defaults {
    pub hub_url: String,
    pub officer: String,
    pub code: String,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl AppState {
    /// `PCMT_DATA_DIR` overrides where the store lives, so tests and demos
    /// run against a store of their own. Nothing is opened yet: the store
    /// opens when the PIN is set or given.
    pub fn open(app: &AppHandle) -> Result<Self, Box<dyn std::error::Error>> {
        let dir = match std::env::var_os("PCMT_DATA_DIR") {
            Some(d) => PathBuf::from(d),
            None => app.path().app_data_dir()?,
        };
        std::fs::create_dir_all(&dir)?;
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let export_dir = std::env::var_os("PCMT_EXPORT_DIR")
            .map(PathBuf::from)
            .or_else(|| app.path().download_dir().ok())
            .unwrap_or_else(|| dir.join("exports"));
        let lang_file = dir.join(LANG_FILE);
        let lang = std::fs::read_to_string(&lang_file)
            .ok()
            .and_then(|l| serde_json::from_str(&l).ok())
            .unwrap_or_default();
        Ok(Self {
            store: Arc::new(Mutex::new(None)),
            vault: Vault::new(&dir),
            db: dir.join(DB_FILE),
            idle: Mutex::new(IdleLock::new(IdleLock::DEFAULT_AFTER_S, now())),
            lang: Mutex::new(lang),
            lang_file,
            defaults: Defaults {
                hub_url: env("PCMT_HUB_URL").unwrap_or_else(|| DEFAULT_HUB_URL.into()),
                officer: env("PCMT_OFFICER").unwrap_or_default(),
                code: env("PCMT_ENROL_CODE").unwrap_or_default(),
            },
            export_dir,
            syncing: Syncing::from_env()?,
        })
    }

    /// The open store for one command. Every command counts as the officer's
    /// activity; one that comes after the idle time finds the app locked.
    pub fn store(&self) -> Result<StoreAccess<'_>, CoreError> {
        if self.lock_if_idle(true) {
            return Err(CoreError::Locked);
        }
        self.store.access()
    }

    /// Locks when the idle time has passed; otherwise, for the officer's own
    /// actions (`activity`), notes that they are still there. A screen
    /// asking whether it is locked is not activity.
    pub fn lock_if_idle(&self, activity: bool) -> bool {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let now = now();
        if idle.due(now) {
            self.lock();
            return true;
        }
        if activity {
            idle.touch(now);
        }
        false
    }

    pub fn lock(&self) {
        *self.store.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.syncing.nudge();
    }

    pub fn lock_state(&self) -> LockState {
        let open = self
            .store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some();
        let locked = !open || self.lock_if_idle(false);
        LockState {
            pin_set: self.vault.exists(),
            locked,
            // Asked every 15 s by the screens: the attempts file is read only
            // while the PIN screen can show its wait (an open store has had
            // the right PIN, which cleared the count).
            wait_s: if locked {
                self.vault.attempts().wait_s(now())
            } else {
                0
            },
            lang: *self.lang.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Keeps the officer's language for the PIN screen. Losing it costs
    /// only a PIN screen in Vietnamese, so a failed write is not an error
    /// the officer must deal with; the file is replaced whole.
    pub fn remember_lang(&self, lang: Lang) {
        let mut held = self.lang.lock().unwrap_or_else(|p| p.into_inner());
        if *held == lang && self.lang_file.exists() {
            return;
        }
        *held = lang;
        if let Ok(json) = serde_json::to_string(&lang) {
            let partial = self.lang_file.with_extension("partial");
            if std::fs::write(&partial, json).is_ok() {
                let _ = std::fs::rename(&partial, &self.lang_file);
            }
        }
    }

    /// First start: the PIN the officer chose wraps a new random key. A
    /// tablet that already holds a plaintext store (from before encryption)
    /// has it encrypted in place under that key. An encrypted store whose key
    /// file is gone can never be read again: it is set aside, not deleted,
    /// and a new store starts (the next sync brings back what the hub has).
    pub fn set_pin(&self, pin: &str) -> Result<(), CommandError> {
        let key = self.vault.create(pin)?;
        crate::test_hold::hold(crate::test_hold::UNLOCK);
        match plaintext(&self.db) {
            Some(true) => Store::encrypt_in_place(&self.db, &key)?,
            Some(false) => set_aside(&self.db)?,
            None => {}
        }
        self.open_with(&key)
    }

    pub fn unlock(&self, pin: &str) -> Result<(), CommandError> {
        let key = self.vault.unlock(pin, now())?;
        crate::test_hold::hold(crate::test_hold::UNLOCK);
        // A first start cut between writing the key file and encrypting the
        // old store leaves it plaintext: finish the job now.
        if plaintext(&self.db) == Some(true) {
            Store::encrypt_in_place(&self.db, &key)?;
        }
        self.open_with(&key)
    }

    pub fn change_pin(&self, old: &str, new: &str) -> Result<(), CommandError> {
        Ok(self.vault.change_pin(old, new, now())?)
    }

    fn open_with(&self, key: &pcmt_core::vault::DbKey) -> Result<(), CommandError> {
        // No list of its own until the office's arrives with the first
        // sync (`Store::apply_office`): a tablet of a real province must
        // not take records for the demo district meanwhile.
        let store = Store::open_encrypted(&self.db, key, OrgTree::empty())?;
        let settings = store.settings()?;
        let minutes = settings
            .as_ref()
            .map_or(Settings::DEFAULT_LOCK_AFTER_MIN, |s| s.lock_after_min);
        if let Some(s) = &settings {
            self.remember_lang(s.lang);
        }
        *self.store.lock().unwrap_or_else(|p| p.into_inner()) = Some(store);
        self.lock_after(minutes);
        self.syncing.nudge();
        Ok(())
    }

    /// The officer's idle time, counted from now.
    pub fn lock_after(&self, minutes: u32) {
        *self.idle.lock().unwrap_or_else(|p| p.into_inner()) =
            IdleLock::new(i64::from(minutes) * 60, now());
    }

    /// Who signs the changes made now.
    pub fn author(&self) -> Result<Author, CoreError> {
        Ok(Author {
            officer: self.settings_or_defaults()?.officer,
        })
    }

    /// Settings to show: saved ones, or the defaults for a fresh tablet.
    pub fn settings_or_defaults(&self) -> Result<Settings, CoreError> {
        self.settings_of(&*self.store()?)
    }

    /// As [`AppState::settings_or_defaults`], from a store already held
    /// (and without counting as the officer's activity).
    pub fn settings_of(&self, store: &Store) -> Result<Settings, CoreError> {
        Ok(store.settings()?.unwrap_or_else(|| Settings {
            lang: *self.lang.lock().unwrap_or_else(|p| p.into_inner()),
            officer: self.defaults.officer.clone(),
            unit: String::new(),
            hub_url: self.defaults.hub_url.clone(),
            lock_after_min: Settings::DEFAULT_LOCK_AFTER_MIN,
        }))
    }
}

/// Whether the store's file is a plain SQLite database (its header is
/// readable; SQLCipher's first page is ciphertext), or None when there is
/// no file yet.
fn plaintext(db: &Path) -> Option<bool> {
    let mut header = [0u8; 16];
    let mut file = std::fs::File::open(db).ok()?;
    let read = std::io::Read::read(&mut file, &mut header).ok()?;
    Some(read == 16 && &header == b"SQLite format 3\0")
}

/// Moves an unreadable store (and its WAL) aside under a dated name.
fn set_aside(db: &Path) -> Result<(), CommandError> {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", db.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}.unreadable-{stamp}{suffix}", db.display()));
            std::fs::rename(&from, &to).map_err(|e| {
                CommandError::plain(
                    format!("Không dời được tệp dữ liệu cũ: {e}"),
                    format!("Could not move the old data file aside: {e}"),
                )
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_sqlite_file_is_told_from_an_encrypted_one_and_from_none() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db");
        assert_eq!(plaintext(&db), None);
        std::fs::write(&db, b"SQLite format 3\0 and then pages").unwrap();
        assert_eq!(plaintext(&db), Some(true));
        std::fs::write(&db, [0x5a_u8; 64]).unwrap();
        assert_eq!(plaintext(&db), Some(false));
        set_aside(&db).unwrap();
        assert_eq!(plaintext(&db), None, "moved, not deleted");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
