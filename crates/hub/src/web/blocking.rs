//! How the routes reach the storage: through the traits only, and off the
//! async workers.

use crate::storage::HubStorage;
use std::sync::Arc;

/// Any hub storage behind the routes: SQLite or PostgreSQL.
pub type Storage = Arc<dyn HubStorage>;

/// Runs `work` on the storage on a blocking thread: database calls never
/// hold up the async workers (and the PostgreSQL client must not run on
/// them). The storage is moved in, so a PostgreSQL pool dropped with it is
/// dropped there too.
pub async fn off_thread<T: Send + 'static, E: Send + 'static>(
    storage: Storage,
    work: impl FnOnce(&dyn HubStorage) -> Result<T, E> + Send + 'static,
) -> Result<Result<T, E>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || work(&*storage)).await
}
