//! The demo district that `cargo xtask run` starts the hub with: a few
//! sessions recorded by "another officer", so a first sync shows something
//! arriving. Seeded through the normal push path, only into an empty hub.

use crate::devices::Scope;
use crate::store::{HubError, HubStore};
use automerge::ActorId;
use chrono::NaiveDate;
use pcmt_core::record_doc::{self, ChangeNote};
use pcmt_core::sync::wire::{DocChanges, PushRequest, PROTOCOL_VERSION};
use pcmt_model::{RecordKind, SessionForm, SessionInput, Topic, VenueKind};
use uuid::Uuid;

pub fn seed(hub: &mut HubStore) -> Result<usize, HubError> {
    if hub.document_count()? > 0 {
        return Ok(0);
    }
    let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
    let sessions = [
        (
            day(6, 26),
            "62-610-23287",
            VenueKind::School,
            "Trường PTDTBT THCS Đăk Choong",
            SessionForm::Talk,
            215,
            118,
            Topic::SyntheticDrugs,
        ),
        (
            day(9, 12),
            "62-610-23290",
            VenueKind::VillageHall,
            "Nhà rông thôn Xốp Dùi",
            SessionForm::Pledge,
            64,
            30,
            Topic::NoDrugPlants,
        ),
        (
            day(10, 3),
            "62-610-23284",
            VenueKind::Market,
            "Chợ trung tâm Đăk Pék",
            SessionForm::Broadcast,
            150,
            70,
            Topic::DisguisedDrugs,
        ),
    ];
    let actor = ActorId::random();
    let note = ChangeNote {
        officer: "Văn phòng Ban Chỉ đạo huyện (demo)".into(),
    };
    let docs = sessions
        .into_iter()
        .map(
            |(date, commune, venue_kind, venue, form, attendees, women, topic)| {
                let input = SessionInput {
                    date,
                    commune: commune.into(),
                    venue_kind,
                    venue_name: venue.into(),
                    form,
                    attendees,
                    women,
                    topics: vec![topic],
                    details: Default::default(),
                };
                let id = Uuid::now_v7();
                let mut doc =
                    record_doc::new_record(id, &input.commune, &input, actor.clone(), &note, 0)
                        .map_err(|e| HubError::Malformed(e.to_string()))?;
                Ok(DocChanges::since(
                    id,
                    RecordKind::Session,
                    &input.commune,
                    &mut doc,
                    &[],
                ))
            },
        )
        .collect::<Result<Vec<_>, HubError>>()?;
    let n = docs.len();
    let office = Scope {
        device: Uuid::nil(),
        communes: pcmt_model::OrgTree::demo()
            .communes()
            .map(|c| c.code.clone())
            .collect(),
    };
    hub.push(
        &office,
        &PushRequest {
            protocol: PROTOCOL_VERSION,
            device: Uuid::nil(),
            docs,
        },
    )?;
    Ok(n)
}
