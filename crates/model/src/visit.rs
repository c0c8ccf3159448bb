//! Who is due or overdue for a visit (đến hạn, quá hạn gặp): computed from the
//! person's status, their last check-in and the visit intervals in the rules.

use crate::checkin::CheckInInput;
use crate::labelled_enum;
use crate::person::PersonInput;
use crate::status::StatusSpan;
use crate::status_rules::StatusRules;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

/// A visit this many days ahead or fewer shows as due soon, so the officer
/// can plan a trip to a remote village before it falls overdue.
pub const DUE_SOON_DAYS: i64 = 3;

labelled_enum!(
    /// Where a person stands against their visit schedule.
    VisitState {
        NotDue = ("not_due", "Chưa đến hạn", "Not due"),
        DueSoon = ("due_soon", "Sắp đến hạn", "Due soon"),
        DueToday = ("due_today", "Đến hạn hôm nay", "Due today"),
        Overdue = ("overdue", "Quá hạn", "Overdue"),
        /// Closed file, or no status: no visits are scheduled.
        NotManaged = ("not_managed", "Không còn quản lý", "Not managed"),
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitDue {
    /// None when no visit is scheduled (`NotManaged`).
    pub due_on: Option<NaiveDate>,
    pub state: VisitState,
}

/// What the schedule needs of a check-in: reports read it from projection
/// rows, where the full visit is not at hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastVisit {
    pub date: NaiveDate,
    pub attended: bool,
    pub next_visit: Option<NaiveDate>,
}

impl From<&CheckInInput> for LastVisit {
    fn from(c: &CheckInInput) -> Self {
        Self {
            date: c.date,
            attended: c.attended,
            next_visit: c.next_visit,
        }
    }
}

/// The next visit is the date the last check-in set; failing that, the last
/// check-in the person attended (or, before any, the start of the current
/// status) plus the current status's visit interval. A missed visit leaves
/// the person due from that day.
pub fn visit_due(
    person: &PersonInput,
    last_checkin: Option<&CheckInInput>,
    rules: &StatusRules,
    today: NaiveDate,
) -> VisitDue {
    let due_on = person
        .current_span()
        .and_then(|span| next_due(span, last_checkin.map(LastVisit::from), rules));
    VisitDue {
        due_on,
        state: due_on.map_or(VisitState::NotManaged, |d| visit_state(d, today)),
    }
}

/// The next visit due for a person whose status in force is `span`, given
/// their last check-in; None when that status has no visits (closed).
pub fn next_due(
    span: &StatusSpan,
    last: Option<LastVisit>,
    rules: &StatusRules,
) -> Option<NaiveDate> {
    let interval = rules.visit_interval_days(span.status)?;
    Some(match last {
        Some(LastVisit {
            next_visit: Some(next),
            ..
        }) => next,
        // A visit where the person did not come does not count: they stay
        // due from that day until someone actually sees them.
        Some(c) if !c.attended => c.date,
        Some(c) => add_days(c.date, interval),
        None => add_days(span.from, interval),
    })
}

/// Where a visit due on `due_on` stands on `today`; lists kept with only the
/// due date use this too, so every screen agrees.
pub fn visit_state(due_on: NaiveDate, today: NaiveDate) -> VisitState {
    match (due_on - today).num_days() {
        d if d < 0 => VisitState::Overdue,
        0 => VisitState::DueToday,
        d if d <= DUE_SOON_DAYS => VisitState::DueSoon,
        _ => VisitState::NotDue,
    }
}

/// Saturates at the end of the calendar rather than failing: a due date that
/// far ahead is simply not due.
fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(days.into()))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkin::tests::visit;
    use crate::lang::tests::assert_well_labelled;
    use crate::person::tests::good as person;
    use crate::status::tests::{d, span};
    use crate::status::{LegalStatus, StatusSpan};

    fn due(
        p: &PersonInput,
        last: Option<&CheckInInput>,
        today: NaiveDate,
    ) -> (Option<NaiveDate>, VisitState) {
        let v = visit_due(p, last, &StatusRules::bundled(), today);
        (v.due_on, v.state)
    }

    #[test]
    fn without_a_check_in_the_status_start_plus_its_interval_is_due() {
        // Voluntary community rehab since 1 August 2025, every 14 days.
        let p = person();
        let due_on = d(2025, 8, 15);
        assert_eq!(
            due(&p, None, d(2025, 8, 11)),
            (Some(due_on), VisitState::NotDue)
        );
        assert_eq!(
            due(&p, None, d(2025, 8, 12)),
            (Some(due_on), VisitState::DueSoon)
        );
        assert_eq!(
            due(&p, None, d(2025, 8, 14)),
            (Some(due_on), VisitState::DueSoon)
        );
        assert_eq!(due(&p, None, due_on), (Some(due_on), VisitState::DueToday));
        assert_eq!(
            due(&p, None, d(2025, 8, 16)),
            (Some(due_on), VisitState::Overdue)
        );
    }

    #[test]
    fn a_check_in_restarts_the_interval() {
        let p = person();
        let last = visit(d(2026, 11, 2));
        assert_eq!(
            due(&p, Some(&last), d(2026, 11, 10)),
            (Some(d(2026, 11, 16)), VisitState::NotDue)
        );
    }

    #[test]
    fn a_missed_visit_leaves_the_person_due_from_that_day() {
        let p = person();
        let missed = CheckInInput {
            attended: false,
            absence_reason: Some("Đi làm nương".into()),
            ..visit(d(2026, 11, 2))
        };
        assert_eq!(
            due(&p, Some(&missed), d(2026, 11, 3)),
            (Some(d(2026, 11, 2)), VisitState::Overdue)
        );
    }

    #[test]
    fn an_appointment_set_at_the_last_check_in_wins() {
        let p = person();
        let last = CheckInInput {
            next_visit: Some(d(2026, 11, 5)),
            ..visit(d(2026, 11, 2))
        };
        assert_eq!(
            due(&p, Some(&last), d(2026, 11, 10)),
            (Some(d(2026, 11, 5)), VisitState::Overdue)
        );
    }

    #[test]
    fn the_interval_follows_the_current_status() {
        // Post-rehab management is visited monthly (30 days), not fortnightly.
        let mut p = person();
        p.statuses[1].until = Some(d(2026, 2, 1));
        p.statuses
            .push(span(LegalStatus::PostRehab, d(2026, 2, 1), None));
        assert_eq!(
            due(&p, None, d(2026, 2, 1)),
            (Some(d(2026, 3, 3)), VisitState::NotDue)
        );
    }

    #[test]
    fn a_closed_file_or_one_without_status_is_not_managed() {
        let mut closed = person();
        closed.statuses[1].until = Some(d(2026, 2, 1));
        closed.statuses.push(StatusSpan {
            id: uuid::Uuid::nil(),
            closed_reason: Some(crate::status::ClosedReason::Completed),
            ..span(LegalStatus::Closed, d(2026, 2, 1), None)
        });
        let overdue_appointment = CheckInInput {
            next_visit: Some(d(2026, 1, 20)),
            ..visit(d(2026, 1, 6))
        };
        assert_eq!(
            due(&closed, Some(&overdue_appointment), d(2026, 11, 24)),
            (None, VisitState::NotManaged)
        );
        let empty = PersonInput {
            statuses: vec![],
            ..person()
        };
        assert_eq!(
            due(&empty, None, d(2026, 11, 24)),
            (None, VisitState::NotManaged)
        );
    }

    #[test]
    fn visit_states_are_well_labelled() {
        assert_well_labelled::<VisitState>();
    }
}
