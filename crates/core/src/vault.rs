//! The key to the tablet's encrypted store (khóa dữ liệu) and the app lock
//! (khóa ứng dụng bằng mã PIN).
//!
//! The database is encrypted by SQLCipher under a random 256-bit key. That key
//! is never stored as it is: it is wrapped (XChaCha20-Poly1305) under a key
//! derived from the officer's PIN or passphrase with Argon2id, and the wrapped
//! key lives in [`KEY_FILE`] next to the database. Changing the PIN rewraps
//! those 32 bytes and leaves the data alone.
//!
//! Wrong PINs slow down: the count and the time of the last failure live in
//! [`ATTEMPTS_FILE`], outside the encrypted database because they are needed
//! before it can be opened. Deleting that file resets the count, so it only
//! slows down someone at the tablet's screen; against a copy of the files the
//! protection is Argon2's cost per guess times the number of possible PINs
//! (see ARCHITECTURE.md, "Threat model").
//!
//! Sans-UI and clock-free: `now` (Unix seconds) is a parameter.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use pcmt_model::api::CommandError;
use pcmt_model::{check_new_pin, Field, FieldError, Lang};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};
use unicode_normalization::UnicodeNormalization;
use zeroize::Zeroizing;

/// The wrapped database key, its salt and Argon2 parameters (JSON).
pub const KEY_FILE: &str = "vault.key";
/// Failed unlock attempts (JSON); read before the database can be opened.
pub const ATTEMPTS_FILE: &str = "vault.attempts";

const KEY_FILE_VERSION: u32 = 1;
const KDF: &str = "argon2id-v19";
const CIPHER: &str = "xchacha20poly1305";
const SALT_LEN: usize = 16;
const NONCE_LEN: usize = 24;

/// Argon2id cost. Stored with each wrapped key, so raising the default later
/// only affects keys wrapped after that (at the next PIN change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over that memory.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl KdfParams {
    /// 128 MiB, 4 passes, one lane: about 0.4 s on one core of the
    /// project's 2-core x86 machine when it is otherwise idle (`unlock_kdf_ms`
    /// in `cargo xtask bench store`; 64 MiB with 5 passes took 0.18 s), so
    /// perhaps 1–1.5 s on a mid-range ARM tablet. The memory is what makes
    /// guessing on graphics cards expensive, and 128 MiB for a moment is
    /// safe on a 2 GB tablet; one lane because the officer waits for one
    /// unlock anyway and more lanes would help a guesser as much.
    pub const DEFAULT: KdfParams = KdfParams {
        m_kib: 128 * 1024,
        t_cost: 4,
        p_cost: 1,
    };
}

impl Default for KdfParams {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The raw 256-bit SQLCipher key. Wiped from memory when dropped, and never
/// printed.
pub struct DbKey(Zeroizing<[u8; 32]>);

impl DbKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    fn random() -> Result<Self, VaultError> {
        let mut key = Zeroizing::new([0u8; 32]);
        getrandom::fill(key.as_mut()).map_err(|e| VaultError::Random(e.to_string()))?;
        Ok(Self(key))
    }

    /// SQLCipher's raw-key form, `x'<64 hex digits>'`: the bytes are used as
    /// they are, with no PBKDF2 of SQLCipher's own (the PIN was already
    /// stretched by Argon2). Given to `ATTACH … KEY ?` as it is.
    pub(crate) fn raw_literal(&self) -> Zeroizing<String> {
        let hex = Zeroizing::new(hex::encode(self.0.as_ref()));
        Zeroizing::new(format!("x'{}'", hex.as_str()))
    }

    /// The statement that keys a connection. A pragma takes no bound
    /// parameters, and SQLCipher reads the raw form only inside double quotes.
    pub(crate) fn pragma(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("PRAGMA key = \"{}\";", self.raw_literal().as_str()))
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(…)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("wrong PIN ({failures} wrong in a row)")]
    WrongPin {
        failures: u32,
        /// Seconds before the next attempt is accepted (0: right away).
        wait_s: i64,
    },
    #[error("too many wrong PINs: try again in {wait_s} s")]
    TooManyAttempts { wait_s: i64 },
    #[error("the new PIN is not accepted: {0}")]
    WeakPin(FieldError),
    #[error("this device has no key file yet")]
    Missing,
    #[error("a key file already exists; change the PIN instead")]
    AlreadyExists,
    #[error("the key file is damaged: {0}")]
    Corrupt(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no random numbers from the system: {0}")]
    Random(String),
    #[error("key derivation: {0}")]
    Kdf(String),
}

impl VaultError {
    /// A sentence an officer can act on, in their language.
    pub fn user_message(&self, lang: Lang) -> String {
        match self {
            VaultError::WrongPin { wait_s: 0, .. } => lang
                .pick("Mã PIN không đúng.", "Wrong PIN.")
                .into(),
            VaultError::WrongPin { wait_s, .. } | VaultError::TooManyAttempts { wait_s } => {
                let wait = wait_words(*wait_s, lang);
                match lang {
                    Lang::Vi => format!(
                        "Mã PIN không đúng quá nhiều lần. Hãy thử lại sau {wait}."
                    ),
                    Lang::En => format!("Too many wrong PINs. Try again in {wait}."),
                }
            }
            VaultError::WeakPin(e) => e.message(lang),
            VaultError::Missing => lang
                .pick(
                    "Máy này chưa đặt mã PIN. Hãy đặt mã PIN trước.",
                    "No PIN has been set on this device yet. Set one first.",
                )
                .into(),
            VaultError::AlreadyExists => lang
                .pick(
                    "Máy này đã có mã PIN. Dùng chức năng đổi mã PIN.",
                    "This device already has a PIN. Use change PIN instead.",
                )
                .into(),
            VaultError::Corrupt(_) => lang
                .pick(
                    "Tệp khóa bị hỏng: không mở được dữ liệu. Dữ liệu đã đồng bộ lên máy chủ huyện vẫn còn; hãy liên hệ văn phòng.",
                    "The key file is damaged: the data cannot be opened. Data synced to the district hub is safe; contact the office.",
                )
                .into(),
            other => match lang {
                Lang::Vi => format!("Lỗi khóa dữ liệu trên máy: {other}. Dữ liệu không bị thay đổi."),
                Lang::En => format!("Key storage error on this device: {other}. The data is unchanged."),
            },
        }
    }
}

/// "45 giây" / "5 phút": the lock screen shows a wait, not a timestamp.
fn wait_words(wait_s: i64, lang: Lang) -> String {
    let minutes = (wait_s + 59) / 60;
    match (lang, wait_s < 60) {
        (Lang::Vi, true) => format!("{wait_s} giây"),
        (Lang::En, true) => format!("{wait_s} s"),
        (Lang::Vi, false) => format!("{minutes} phút"),
        (Lang::En, false) => format!("{minutes} min"),
    }
}

/// How a vault error crosses to the screens; a refused new PIN is shown
/// beside its field.
impl From<VaultError> for CommandError {
    fn from(e: VaultError) -> Self {
        Self {
            fields: match &e {
                VaultError::WeakPin(f) => vec![f.clone()],
                _ => Vec::new(),
            },
            message_vi: e.user_message(Lang::Vi),
            message_en: e.user_message(Lang::En),
            locked: false,
        }
    }
}

/// The wrapped key as stored. Everything but the ciphertext is also the
/// associated data, so a file edited to weaker parameters does not open.
#[derive(Debug, Serialize, Deserialize)]
struct KeyFile {
    version: u32,
    kdf: String,
    params: KdfParams,
    salt: String,
    cipher: String,
    nonce: String,
    wrapped: String,
}

impl KeyFile {
    fn associated_data(&self) -> Vec<u8> {
        format!(
            "sotay-pcmt vault {} {} m={} t={} p={} salt={} {}",
            self.version,
            self.kdf,
            self.params.m_kib,
            self.params.t_cost,
            self.params.p_cost,
            self.salt,
            self.cipher
        )
        .into_bytes()
    }
}

/// Failed attempts since the last successful unlock.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempts {
    pub failures: u32,
    /// Unix seconds of the last failure.
    pub last_failure: i64,
}

impl Attempts {
    /// The wait after `failures` wrong PINs in a row: four free tries for
    /// typing slips, then 30 s, 1 min, 5 min, 15 min, then an hour each.
    pub fn delay_s(failures: u32) -> i64 {
        match failures {
            0..=4 => 0,
            5 => 30,
            6 => 60,
            7 => 5 * 60,
            8 => 15 * 60,
            _ => 60 * 60,
        }
    }

    /// Seconds until the next attempt is accepted. A clock set back before
    /// the last failure restarts the wait rather than ending it.
    pub fn wait_s(&self, now: i64) -> i64 {
        let elapsed = now.saturating_sub(self.last_failure).max(0);
        (Self::delay_s(self.failures) - elapsed).max(0)
    }
}

/// The key files of one device's store, in the folder that holds it.
///
/// How the shell starts: if `exists()`, ask for the PIN, `unlock`, then
/// `Store::open_encrypted`. If not, ask for a new PIN and `create`; a
/// plaintext store already there (a tablet from before encryption) goes
/// through `Store::encrypt_in_place` with that key before it is opened.
#[derive(Debug, Clone)]
pub struct Vault {
    dir: PathBuf,
    params: KdfParams,
}

impl Vault {
    /// Touches nothing: the files are read when needed.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            params: KdfParams::DEFAULT,
        }
    }

    /// The Argon2 cost for keys wrapped from now on (create, change PIN).
    /// Unlocking always uses the cost stored with the key.
    pub fn with_params(mut self, params: KdfParams) -> Self {
        self.params = params;
        self
    }

    fn key_path(&self) -> PathBuf {
        self.dir.join(KEY_FILE)
    }

    fn attempts_path(&self) -> PathBuf {
        self.dir.join(ATTEMPTS_FILE)
    }

    /// Whether a PIN was set here: the shell asks for a new PIN if not, for
    /// the PIN if so.
    pub fn exists(&self) -> bool {
        self.key_path().exists()
    }

    /// Sets the first PIN: a new random database key, wrapped under it.
    /// Refuses to replace an existing key file, which would orphan the data
    /// encrypted under the old key.
    pub fn create(&self, pin: &str) -> Result<DbKey, VaultError> {
        check_new_pin(Field::Pin, pin).map_err(VaultError::WeakPin)?;
        if self.exists() {
            return Err(VaultError::AlreadyExists);
        }
        let key = DbKey::random()?;
        self.write_key_file(&key, pin)?;
        Ok(key)
    }

    /// The database key, if `pin` is right and no wait is pending.
    ///
    /// The attempt is counted before Argon2 runs and uncounted on success,
    /// so closing the app during the derivation does not escape the count.
    /// Writing the count is best effort: on a full or read-only disk the
    /// officer must still get in, and whoever can stop that write can
    /// delete the file just as well.
    pub fn unlock(&self, pin: &str, now: i64) -> Result<DbKey, VaultError> {
        let before = self.attempts();
        let wait_s = before.wait_s(now);
        if wait_s > 0 {
            return Err(VaultError::TooManyAttempts { wait_s });
        }
        let file = self.read_key_file()?;
        let counted = Attempts {
            failures: before.failures.saturating_add(1),
            last_failure: now,
        };
        self.write_attempts(&counted).ok();
        match unwrap_key(&file, pin)? {
            Some(key) => {
                self.write_attempts(&Attempts::default()).ok();
                Ok(key)
            }
            None => Err(VaultError::WrongPin {
                failures: counted.failures,
                wait_s: counted.wait_s(now),
            }),
        }
    }

    /// Rewraps the same database key under a new PIN (with a fresh salt):
    /// the data is not touched. The old PIN is checked like an unlock,
    /// throttling included.
    pub fn change_pin(&self, old: &str, new: &str, now: i64) -> Result<(), VaultError> {
        check_new_pin(Field::NewPin, new).map_err(VaultError::WeakPin)?;
        let key = self.unlock(old, now)?;
        self.write_key_file(&key, new)
    }

    /// The failed attempts so far. A missing or unreadable file counts as
    /// none: anyone who can damage it can also delete it, and a lock-out
    /// from a damaged file would hurt only the officer.
    pub fn attempts(&self) -> Attempts {
        std::fs::read(self.attempts_path())
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn write_attempts(&self, attempts: &Attempts) -> Result<(), VaultError> {
        let bytes = serde_json::to_vec(attempts).map_err(|e| VaultError::Corrupt(e.to_string()))?;
        write_atomically(&self.attempts_path(), &bytes)
    }

    fn read_key_file(&self) -> Result<KeyFile, VaultError> {
        let path = self.key_path();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(VaultError::Missing),
            Err(source) => return Err(VaultError::Io { path, source }),
        };
        let file: KeyFile =
            serde_json::from_slice(&bytes).map_err(|e| VaultError::Corrupt(e.to_string()))?;
        if file.version != KEY_FILE_VERSION || file.kdf != KDF || file.cipher != CIPHER {
            return Err(VaultError::Corrupt(format!(
                "unknown format {} {} {}",
                file.version, file.kdf, file.cipher
            )));
        }
        Ok(file)
    }

    fn write_key_file(&self, key: &DbKey, pin: &str) -> Result<(), VaultError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut salt).map_err(|e| VaultError::Random(e.to_string()))?;
        getrandom::fill(&mut nonce).map_err(|e| VaultError::Random(e.to_string()))?;
        let mut file = KeyFile {
            version: KEY_FILE_VERSION,
            kdf: KDF.into(),
            params: self.params,
            salt: hex::encode(salt),
            cipher: CIPHER.into(),
            nonce: hex::encode(nonce),
            wrapped: String::new(),
        };
        let kek = derive(pin, &salt, self.params)?;
        let wrapped = XChaCha20Poly1305::new(kek.as_ref().into())
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: key.0.as_ref(),
                    aad: &file.associated_data(),
                },
            )
            .map_err(|_| VaultError::Kdf("wrapping the key failed".into()))?;
        file.wrapped = hex::encode(wrapped);
        let bytes =
            serde_json::to_vec_pretty(&file).map_err(|e| VaultError::Corrupt(e.to_string()))?;
        write_atomically(&self.key_path(), &bytes)
    }
}

/// `Some(key)` for the right PIN, `None` for a wrong one (the AEAD tag does
/// not verify); a malformed file is an error of its own.
fn unwrap_key(file: &KeyFile, pin: &str) -> Result<Option<DbKey>, VaultError> {
    let bad = |what: &str| VaultError::Corrupt(format!("{what} is not valid"));
    let salt = hex::decode(&file.salt).map_err(|_| bad("salt"))?;
    let nonce = hex::decode(&file.nonce).map_err(|_| bad("nonce"))?;
    let wrapped = hex::decode(&file.wrapped).map_err(|_| bad("wrapped key"))?;
    if salt.len() != SALT_LEN || nonce.len() != NONCE_LEN {
        return Err(bad("salt or nonce length"));
    }
    let kek = derive(pin, &salt, file.params)?;
    let plain = match XChaCha20Poly1305::new(kek.as_ref().into()).decrypt(
        XNonce::from_slice(&nonce),
        Payload {
            msg: &wrapped,
            aad: &file.associated_data(),
        },
    ) {
        Ok(p) => Zeroizing::new(p),
        Err(_) => return Ok(None),
    };
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| bad("key length"))?;
    Ok(Some(DbKey::from_bytes(bytes)))
}

/// Argon2id over the PIN in NFC: Vietnamese keyboards may send "ế" as one
/// code point or as e + two combining marks, and both must give the same key.
fn derive(pin: &str, salt: &[u8], p: KdfParams) -> Result<Zeroizing<[u8; 32]>, VaultError> {
    let params = Params::new(p.m_kib, p.t_cost, p.p_cost, Some(32))
        .map_err(|e| VaultError::Kdf(e.to_string()))?;
    let pin = Zeroizing::new(pin.nfc().collect::<String>());
    let mut out = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, out.as_mut())
        .map_err(|e| VaultError::Kdf(e.to_string()))?;
    Ok(out)
}

/// When the unlocked app locks itself again (khóa khi không sử dụng): after
/// `after_s` seconds without the officer touching it. The shell calls
/// `touch` on activity and `due` on a timer or when the app comes back to
/// the front; when due it drops the `Store` and the `DbKey` and shows the
/// PIN screen. Sans-IO: time is a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdleLock {
    after_s: i64,
    last_activity: i64,
}

impl IdleLock {
    /// Five minutes: a tablet left on a table at a rally is locked before
    /// the session ends.
    pub const DEFAULT_AFTER_S: i64 = 5 * 60;
    /// The officer may choose between these; longer would leave an unlocked
    /// tablet with person files lying around for most of a morning.
    pub const MIN_AFTER_S: i64 = 30;
    pub const MAX_AFTER_S: i64 = 30 * 60;

    /// `after_s` is the officer's setting, kept within the allowed range.
    pub fn new(after_s: i64, now: i64) -> Self {
        Self {
            after_s: after_s.clamp(Self::MIN_AFTER_S, Self::MAX_AFTER_S),
            last_activity: now,
        }
    }

    pub fn after_s(&self) -> i64 {
        self.after_s
    }

    pub fn touch(&mut self, now: i64) {
        self.last_activity = now;
    }

    /// A clock that went back before the last activity locks too: the idle
    /// time can no longer be known, and locking is the safe side.
    pub fn due(&self, now: i64) -> bool {
        now < self.last_activity || now - self.last_activity >= self.after_s
    }
}

/// Temp file, fsync, rename, fsync of the folder: after a crash the file is
/// either the old one or the new one, never half of each.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), VaultError> {
    let io = |source| VaultError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);
    {
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    sync_dir(path).map_err(io)
}

/// Makes a rename in the file's folder durable (a no-op where folders cannot
/// be opened, as on Windows).
pub(crate) fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_then_stay_at_an_hour() {
        let delays: Vec<i64> = (0..=10).map(Attempts::delay_s).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 30, 60, 300, 900, 3600, 3600]);
    }

    #[test]
    fn the_wait_counts_down_and_a_clock_set_back_restarts_it() {
        let a = Attempts {
            failures: 5,
            last_failure: 1_000,
        };
        assert_eq!(a.wait_s(1_000), 30);
        assert_eq!(a.wait_s(1_020), 10);
        assert_eq!(a.wait_s(1_031), 0);
        assert_eq!(a.wait_s(500), 30);
    }

    #[test]
    fn the_idle_lock_falls_after_the_chosen_time_and_activity_defers_it() {
        let mut lock = IdleLock::new(IdleLock::DEFAULT_AFTER_S, 1_000);
        assert!(!lock.due(1_299));
        lock.touch(1_200);
        assert!(!lock.due(1_499));
        assert!(lock.due(1_500));
        assert!(lock.due(1_100), "a clock set back locks");
        assert_eq!(IdleLock::new(5, 0).after_s(), IdleLock::MIN_AFTER_S);
        assert_eq!(IdleLock::new(86_400, 0).after_s(), IdleLock::MAX_AFTER_S);
    }

    #[test]
    fn the_pragma_holds_the_raw_hex_key() {
        let key = DbKey::from_bytes([0xab; 32]);
        let expected = format!("PRAGMA key = \"x'{}'\";", "ab".repeat(32));
        assert_eq!(key.pragma().as_str(), expected);
        assert_eq!(format!("{key:?}"), "DbKey(…)");
    }

    #[test]
    fn composed_and_decomposed_vietnamese_give_the_same_key() {
        let p = KdfParams {
            m_kib: 64,
            t_cost: 1,
            p_cost: 1,
        };
        let composed = "mùa xuân trên bản Xốp";
        let decomposed: String = composed.nfd().collect();
        assert_ne!(composed, decomposed);
        assert_eq!(
            *derive(composed, &[7; 16], p).unwrap(),
            *derive(&decomposed, &[7; 16], p).unwrap()
        );
    }
}
