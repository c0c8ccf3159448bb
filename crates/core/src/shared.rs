//! The store as the shell shares it: the screens' commands and a sync
//! running beside them take it in turns, briefly, so the officer can keep
//! saving while records travel. While the app is locked there is no store
//! at all (the key is gone with it), and every access says so.

use crate::{CoreError, Store};
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};

/// A store that may be taken for a moment.
pub trait SharedStore: Send + Sync {
    fn access(&self) -> Result<StoreAccess<'_>, CoreError>;
}

/// The store, held until this is dropped.
pub struct StoreAccess<'a>(Held<'a>);

enum Held<'a> {
    Always(MutexGuard<'a, Store>),
    /// Made only when the option holds a store; the guard keeps the lock,
    /// so nothing can take the store away while this lives.
    Unlocked(MutexGuard<'a, Option<Store>>),
}

fn take<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves the store as its last commit
    // left it (SQLite transactions are all or nothing): keep going.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A store that is always open: tests, benchmarks, the hub's tools.
impl SharedStore for Mutex<Store> {
    fn access(&self) -> Result<StoreAccess<'_>, CoreError> {
        Ok(StoreAccess(Held::Always(take(self))))
    }
}

/// The tablet's store: `None` while the app is locked.
impl SharedStore for Mutex<Option<Store>> {
    fn access(&self) -> Result<StoreAccess<'_>, CoreError> {
        let guard = take(self);
        if guard.is_none() {
            return Err(CoreError::Locked);
        }
        Ok(StoreAccess(Held::Unlocked(guard)))
    }
}

impl<T: SharedStore + ?Sized> SharedStore for Arc<T> {
    fn access(&self) -> Result<StoreAccess<'_>, CoreError> {
        (**self).access()
    }
}

impl Deref for StoreAccess<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        match &self.0 {
            Held::Always(g) => g,
            Held::Unlocked(g) => g
                .as_ref()
                .unwrap_or_else(|| unreachable!("made only when open")),
        }
    }
}

impl DerefMut for StoreAccess<'_> {
    fn deref_mut(&mut self) -> &mut Store {
        match &mut self.0 {
            Held::Always(g) => g,
            Held::Unlocked(g) => g
                .as_mut()
                .unwrap_or_else(|| unreachable!("made only when open")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pcmt_model::OrgTree;

    #[test]
    fn a_locked_store_refuses_access_and_an_open_one_gives_it() {
        let slot: Mutex<Option<Store>> = Mutex::new(None);
        assert!(matches!(slot.access(), Err(CoreError::Locked)));
        *take(&slot) = Some(Store::open_in_memory(OrgTree::demo()).unwrap());
        let device = slot.access().unwrap().device_id();
        let always = Arc::new(Mutex::new(Store::open_in_memory(OrgTree::demo()).unwrap()));
        assert_ne!(always.access().unwrap().device_id(), device);
    }
}
