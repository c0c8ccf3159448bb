//! Device-local values: the officer's settings from first start on, and
//! drafts. Kept in the `meta` table under `local.*`, never synced.

use super::sync_state::ENROL_CODE;
use super::{get_meta, set_meta, Store};
use crate::CoreError;
use pcmt_model::api::{Settings, SetupInput};
use pcmt_model::enrol_code;

impl Store {
    /// A device-local value (settings, drafts, the time of the last sync);
    /// never synced. Keys are namespaced by the caller ("setting.", "draft.").
    pub fn local_value(&self, key: &str) -> Result<Option<String>, CoreError> {
        Ok(get_meta(&self.conn, &format!("local.{key}"))?)
    }

    pub fn set_local_value(&mut self, key: &str, value: Option<&str>) -> Result<(), CoreError> {
        let key = format!("local.{key}");
        match value {
            Some(v) => set_meta(&self.conn, &key, v)?,
            None => {
                self.conn
                    .execute("DELETE FROM meta WHERE key = ?1", [&key])?;
            }
        }
        Ok(())
    }

    /// The officer's settings on this tablet, or None before first start.
    pub fn settings(&self) -> Result<Option<Settings>, CoreError> {
        self.local_json("settings")
    }

    /// Saves valid settings; the officer's name signs every later change.
    pub fn save_settings(&mut self, settings: &Settings) -> Result<(), CoreError> {
        settings.validate().map_err(CoreError::Invalid)?;
        self.set_local_json("settings", settings)
    }

    /// First start: the officer's settings, and the office's code kept for
    /// the first sync (none is needed once the tablet is enrolled). Nothing
    /// here needs the network.
    pub fn set_up(&mut self, input: &SetupInput) -> Result<(), CoreError> {
        let enrolled = self.enrolment()?.is_some();
        input.validate(enrolled).map_err(CoreError::Invalid)?;
        self.save_settings(&input.settings)?;
        if let Some(code) = enrol_code(&input.code).map_err(|e| CoreError::Invalid(vec![e]))? {
            self.set_local_value(ENROL_CODE, Some(code))?;
        }
        Ok(())
    }

    fn local_json<T: serde::de::DeserializeOwned>(
        &self,
        key: &str,
    ) -> Result<Option<T>, CoreError> {
        match self.local_value(key)? {
            None => Ok(None),
            Some(json) => {
                serde_json::from_str(&json)
                    .map(Some)
                    .map_err(|e| CoreError::CorruptRecord {
                        id: format!("meta.local.{key}"),
                        reason: e.to_string(),
                    })
            }
        }
    }

    fn set_local_json<T: serde::Serialize>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), CoreError> {
        let json = serde_json::to_string(value).map_err(|e| CoreError::CorruptRecord {
            id: format!("meta.local.{key}"),
            reason: e.to_string(),
        })?;
        self.set_local_value(key, Some(&json))
    }
}
