//! Record commands: save (new or edit), read, list, history and conflicts.
//! Each takes the store, which a sync holds while it applies a batch: all
//! run off the main thread ([`super::off_main`]).

use super::{answer, off_main, today};
use pcmt_core::{Author, CoreError, Store};
use pcmt_model::api::{
    CheckInRow, CommandError, DueVisit, FieldConflict, HistoryEntry, HotSpotRow, KeptRecord,
    ListFilter, MovedPerson, PersonRow, SurveyRow,
};
use pcmt_model::{
    CheckInInput, FileMarks, HotSpotInput, MoveInput, PersonInput, SessionInput, SessionRow,
    SurveyInput,
};
use tauri::AppHandle;
use uuid::Uuid;

/// Longest page a list may ask for: screens page through the rest.
const MAX_PAGE: u32 = 500;

/// One save command (new when `id` is None, else an edit) and one read
/// command per kind that lives in a commune.
macro_rules! record_commands {
    ($($save:ident, $get:ident: $input:ty => $row:ty, $create:ident, $update:ident;)+) => {$(
        #[tauri::command]
        pub async fn $save(
            app: AppHandle,
            input: $input,
            id: Option<Uuid>,
        ) -> Result<$row, CommandError> {
            save(app, move |store, author| match id {
                None => store.$create(&input, author, today()),
                Some(id) => store.$update(id, &input, author, today()),
            })
            .await
        }

        #[tauri::command]
        pub async fn $get(app: AppHandle, id: Uuid) -> Result<$input, CommandError> {
            read(app, move |store| store.record(id)).await
        }
    )+};
}

record_commands! {
    save_session, get_session: SessionInput => SessionRow, create_session, update_session;
    save_person, get_person: PersonInput => PersonRow, create_person, update_person;
    save_survey, get_survey: SurveyInput => SurveyRow, create_survey, update_survey;
    save_hot_spot, get_hot_spot: HotSpotInput => HotSpotRow, create_hot_spot, update_hot_spot;
}

#[tauri::command]
pub async fn save_checkin(app: AppHandle, input: CheckInInput) -> Result<CheckInRow, CommandError> {
    save(app, move |store, author| {
        store.create_checkin(&input, author, today())
    })
    .await
}

/// One list command per dated kind: a page of rows through the filter
/// (none lists them all), in the order the store's list gives.
macro_rules! list_commands {
    ($($list:ident => $row:ty;)+) => {$(
        #[tauri::command]
        pub async fn $list(
            app: AppHandle,
            filter: Option<ListFilter>,
            offset: u32,
            limit: u32,
        ) -> Result<Vec<$row>, CommandError> {
            read(app, move |store| {
                store.$list(&filter.unwrap_or_default(), limit.min(MAX_PAGE), offset)
            })
            .await
        }
    )+};
}

list_commands! {
    list_sessions => SessionRow;
    list_surveys => SurveyRow;
    list_hot_spots => HotSpotRow;
}

/// Records kept here that this version of the app cannot show.
#[tauri::command]
pub async fn unreadable_records(
    app: AppHandle,
    offset: u32,
    limit: u32,
) -> Result<Vec<KeptRecord>, CommandError> {
    read(app, move |store| {
        store.unreadable_records(limit.min(MAX_PAGE), offset)
    })
    .await
}

/// The register, by name (with or without diacritics) or citizen ID prefix.
#[tauri::command]
pub async fn search_people(
    app: AppHandle,
    query: String,
    offset: u32,
    limit: u32,
) -> Result<Vec<PersonRow>, CommandError> {
    read(app, move |store| {
        store.search_people(&query, limit.min(MAX_PAGE), offset)
    })
    .await
}

#[tauri::command]
pub async fn person_row(app: AppHandle, id: Uuid) -> Result<PersonRow, CommandError> {
    read(app, move |store| store.person(id)).await
}

/// A person moves to another commune of the district (chuyển nơi cư
/// trú): checked and written by the core; the file goes at the next sync.
#[tauri::command]
pub async fn move_person(app: AppHandle, id: Uuid, input: MoveInput) -> Result<(), CommandError> {
    save(app, move |store, author| {
        store.move_person(id, &input, author, today())
    })
    .await
}

/// The communes of the district a person of `commune` may move to.
#[tauri::command]
pub async fn move_destinations(
    app: AppHandle,
    commune: String,
) -> Result<Vec<(String, String)>, CommandError> {
    read(app, move |store| store.move_destinations(&commune)).await
}

/// The notes of files that moved out of this tablet's communes.
#[tauri::command]
pub async fn moved_people(app: AppHandle) -> Result<Vec<MovedPerson>, CommandError> {
    read(app, |store| store.moved_people()).await
}

/// What the hub and the office marked on a person file.
#[tauri::command]
pub async fn file_marks(app: AppHandle, id: Uuid) -> Result<FileMarks, CommandError> {
    read(app, move |store| store.file_marks(id)).await
}

#[tauri::command]
pub async fn due_visits(app: AppHandle) -> Result<Vec<DueVisit>, CommandError> {
    read(app, |store| store.due_visits(today(), MAX_PAGE)).await
}

#[tauri::command]
pub async fn checkins_of(app: AppHandle, person: Uuid) -> Result<Vec<CheckInRow>, CommandError> {
    read(app, move |store| store.checkins_of(person)).await
}

#[tauri::command]
pub async fn record_history(app: AppHandle, id: Uuid) -> Result<Vec<HistoryEntry>, CommandError> {
    read(app, move |store| store.history(id)).await
}

#[tauri::command]
pub async fn record_conflicts(
    app: AppHandle,
    id: Uuid,
) -> Result<Vec<FieldConflict>, CommandError> {
    read(app, move |store| store.conflicts(id)).await
}

/// The officer picks one of the values, or types a new one.
#[tauri::command]
pub async fn resolve_conflict(
    app: AppHandle,
    id: Uuid,
    field: String,
    value: String,
) -> Result<(), CommandError> {
    save(app, move |store, author| {
        store.resolve_conflict(id, &field, &value, author, today())
    })
    .await
}

/// A read of the store, off the main thread.
pub(super) async fn read<T: Send + 'static>(
    app: AppHandle,
    query: impl FnOnce(&Store) -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CommandError> {
    off_main(app, move |_, state| answer(query(&*state.store()?))).await
}

/// A change the officer made, off the main thread: it waits to be sent, so
/// the tablet syncs soon; a sync that comes due meanwhile waits for it.
pub(super) async fn save<T: Send + 'static>(
    app: AppHandle,
    change: impl FnOnce(&mut Store, &Author) -> Result<T, CoreError> + Send + 'static,
) -> Result<T, CommandError> {
    off_main(app, move |_, state| {
        let _saving = state.syncing.saving();
        let author = state.author()?;
        let done = answer(change(&mut *state.store()?, &author))?;
        state.syncing.saved();
        Ok(done)
    })
    .await
}
