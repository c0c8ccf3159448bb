//! Calls of the server-side functions of migration 0006, which run a
//! push's statements inside the server: a statement sent by the
//! synchronous client costs a round trip and the server's work for a
//! statement as such, whatever it does. Each function takes composite
//! values of arrays (one array a column), sent as `ROW($1, …)::type` by
//! `PgRows::call`.

use crate::storage::{ChangeRow, DocumentRow};
use pcmt_core::projection::{Projected, RowValues, SiteValues};
use r2d2_postgres::postgres::types::ToSql;

pub(super) type Param<'a> = Box<dyn ToSql + Sync + 'a>;

/// One argument of a function: a value of composite type `type_name`, its
/// fields in the type's order.
pub(super) struct Composite<'a> {
    pub type_name: &'static str,
    pub fields: Vec<Param<'a>>,
}

/// One column of `items`, as an array parameter.
fn column<'a, T: 'a, U: ToSql + Sync + 'a>(
    items: &[&'a T],
    value: impl Fn(&'a T) -> U,
) -> Param<'a> {
    Box::new(items.iter().map(|v| value(v)).collect::<Vec<U>>())
}

pub(super) fn documents(docs: &[DocumentRow]) -> Composite<'_> {
    let d: Vec<&DocumentRow> = docs.iter().collect();
    Composite {
        type_name: "pcmt_documents",
        fields: vec![
            column(&d, |v| v.id.as_str()),
            column(&d, |v| v.kind),
            column(&d, |v| v.commune.as_str()),
            column(&d, |v| v.bytes.as_slice()),
        ],
    }
}

pub(super) fn changes(changes: &[ChangeRow]) -> Composite<'_> {
    let c: Vec<&ChangeRow> = changes.iter().collect();
    Composite {
        type_name: "pcmt_changes",
        fields: vec![
            column(&c, |v| v.doc_id.as_str()),
            column(&c, |v| v.commune.as_str()),
            column(&c, |v| v.hash.as_slice()),
            column(&c, |v| v.bytes.as_slice()),
            column(&c, |v| v.origin.as_str()),
        ],
    }
}

/// The live rows of one kind, by their values.
fn of<'a, T>(rows: &[&'a RowValues], pick: impl Fn(&'a RowValues) -> Option<&'a T>) -> Vec<&'a T> {
    rows.iter().filter_map(|r| pick(r)).collect()
}

/// The rows of `all` replaced by their new ones.
pub(super) fn projected(all: &[Projected]) -> Composite<'_> {
    let rows: Vec<&RowValues> = all.iter().filter_map(|p| p.row.as_ref()).collect();
    self::rows(all, &rows)
}

/// The rows of `replaced` (their old rows and sites removed, their
/// `documents.deleted` set) and then `rows` inserted, each table's in one
/// statement.
pub(super) fn rows<'a>(replaced: &'a [Projected], rows: &[&'a RowValues]) -> Composite<'a> {
    let r: Vec<&Projected> = replaced.iter().collect();
    let s = of(rows, |r| match r {
        RowValues::Session(s) => Some(s),
        _ => None,
    });
    let p = of(rows, |r| match r {
        RowValues::Person(p) => Some(p),
        _ => None,
    });
    let c = of(rows, |r| match r {
        RowValues::CheckIn(c) => Some(c),
        _ => None,
    });
    let v = of(rows, |r| match r {
        RowValues::Survey(s) => Some(s),
        _ => None,
    });
    let x: Vec<&SiteValues> = v.iter().flat_map(|v| &v.site_rows).collect();
    let h = of(rows, |r| match r {
        RowValues::HotSpot(h) => Some(h),
        _ => None,
    });
    Composite {
        type_name: "pcmt_rows",
        fields: vec![
            column(&r, |v| v.id.as_str()),
            column(&r, |v| v.deleted),
            column(&s, |v| v.id.as_str()),
            column(&s, |v| v.date.as_str()),
            column(&s, |v| v.commune.as_str()),
            column(&s, |v| v.venue_kind.as_str()),
            column(&s, |v| v.venue_name.as_str()),
            column(&s, |v| v.form.as_str()),
            column(&s, |v| v.attendees),
            column(&s, |v| v.women),
            column(&s, |v| v.topic.as_str()),
            column(&s, |v| v.conflicted),
            column(&s, |v| v.audience.as_str()),
            column(&s, |v| v.materials),
            column(&s, |v| v.pledges),
            column(&s, |v| v.venue_key.as_str()),
            column(&p, |v| v.id.as_str()),
            column(&p, |v| v.full_name.as_str()),
            column(&p, |v| v.name_key.as_str()),
            column(&p, |v| v.citizen_id.as_deref()),
            column(&p, |v| v.birth_date.as_str()),
            column(&p, |v| v.commune.as_str()),
            column(&p, |v| v.village.as_deref()),
            column(&p, |v| v.status.as_deref()),
            column(&p, |v| v.conflicted),
            column(&p, |v| v.statuses.as_str()),
            column(&c, |v| v.id.as_str()),
            column(&c, |v| v.person.as_str()),
            column(&c, |v| v.date.as_str()),
            column(&c, |v| v.attended),
            column(&c, |v| v.test_result.as_deref()),
            column(&c, |v| v.psychosis),
            column(&c, |v| v.relapse),
            column(&c, |v| v.next_visit.as_deref()),
            column(&c, |v| v.conflicted),
            column(&c, |v| v.supported),
            column(&v, |v| v.id.as_str()),
            column(&v, |v| v.date.as_str()),
            column(&v, |v| v.commune.as_str()),
            column(&v, |v| v.kind.as_str()),
            column(&v, |v| v.sites),
            column(&v, |v| v.plants),
            column(&v, |v| v.area_m2),
            column(&v, |v| v.conflicted),
            column(&v, |v| v.area_covered_ha),
            column(&v, |v| v.replanting),
            column(&x, |v| v.survey.as_str()),
            column(&x, |v| v.idx),
            column(&x, |v| v.date.as_str()),
            column(&x, |v| v.commune.as_str()),
            column(&x, |v| v.lat),
            column(&x, |v| v.lon),
            column(&x, |v| v.polygon.as_deref()),
            column(&x, |v| v.area_m2),
            column(&x, |v| v.species.as_str()),
            column(&x, |v| v.plants),
            column(&x, |v| v.action.as_str()),
            column(&x, |v| v.action_date.as_str()),
            column(&x, |v| v.replanting),
            column(&h, |v| v.id.as_str()),
            column(&h, |v| v.date.as_str()),
            column(&h, |v| v.commune.as_str()),
            column(&h, |v| v.village.as_deref()),
            column(&h, |v| v.place.as_str()),
            column(&h, |v| v.stage.as_str()),
            column(&h, |v| v.activities.as_str()),
            column(&h, |v| v.stages.as_str()),
            column(&h, |v| v.lat),
            column(&h, |v| v.lon),
            column(&h, |v| v.conflicted),
        ],
    }
}
