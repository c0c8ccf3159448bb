//! The legal status of a person under management (tình trạng pháp lý) and
//! its history: one span per status, in time order. How long each status
//! lasts by law lives in `status_rules`, as data.

use crate::check::{not_before, optional_text, past_date, Report, MAX_NOTE_CHARS};
use crate::labelled_enum;
use crate::validation::{Field, Problem};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum!(
    /// Tình trạng — the legal categories of the 2021 Law on drug prevention,
    /// in the order a person usually moves through them.
    LegalStatus {
        /// Người sử dụng trái phép chất ma túy, quản lý tại xã.
        DrugUserManaged = ("drug_user_managed", "Người sử dụng trái phép chất ma túy (quản lý tại xã)", "Illegal drug user under management"),
        /// Đã xác định tình trạng nghiện.
        AddictionConfirmed = ("addiction_confirmed", "Đã xác định tình trạng nghiện", "Addiction confirmed"),
        /// Cai nghiện tự nguyện tại gia đình, cộng đồng.
        VoluntaryCommunityRehab = ("voluntary_community_rehab", "Cai nghiện tự nguyện tại gia đình, cộng đồng", "Voluntary rehab at home / in the community"),
        /// Cai nghiện tự nguyện tại cơ sở cai nghiện.
        VoluntaryFacilityRehab = ("voluntary_facility_rehab", "Cai nghiện tự nguyện tại cơ sở", "Voluntary rehab at a facility"),
        /// Cai nghiện bắt buộc tại cơ sở cai nghiện công lập.
        CompulsoryRehab = ("compulsory_rehab", "Cai nghiện bắt buộc tại cơ sở", "Compulsory rehab at a facility"),
        /// Điều trị nghiện các chất dạng thuốc phiện bằng thuốc thay thế.
        SubstitutionTreatment = ("substitution_treatment", "Điều trị thay thế (Methadone, Buprenorphine)", "Methadone / buprenorphine treatment"),
        /// Quản lý sau cai nghiện ma túy.
        PostRehab = ("post_rehab", "Quản lý sau cai nghiện", "Post-rehab management"),
        /// Kết thúc quản lý; the reason is kept beside it.
        Closed = ("closed", "Kết thúc quản lý", "Closed"),
    }
);

labelled_enum!(
    /// Lý do kết thúc — why a file was closed.
    ClosedReason {
        Completed = ("completed", "Hoàn thành thời hạn quản lý", "Completed"),
        MovedAway = ("moved_away", "Chuyển nơi cư trú", "Moved away"),
        Deceased = ("deceased", "Đã chết", "Deceased"),
        Other = ("other", "Lý do khác", "Other"),
    }
);

/// One stretch of time in one status. `until` is the day it ended; the next
/// status may begin that same day (a decision ends one and starts the next).
/// `until` may lie ahead when a decision fixes the end, e.g. compulsory rehab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusSpan {
    /// Names the span in its document, so edits of different spans merge.
    /// Nil for a span not yet saved: the core gives it one.
    #[serde(default)]
    pub id: Uuid,
    pub status: LegalStatus,
    /// Only for `Closed`, and required there.
    pub closed_reason: Option<ClosedReason>,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub notes: String,
}

/// The span in force: the one that started last. Ties go to the one listed
/// last, since the officer entered it after the other.
pub(crate) fn current(spans: &[StatusSpan]) -> Option<&StatusSpan> {
    spans.iter().max_by_key(|s| s.from)
}

/// Checks a status history: at least one span, each well formed, each after
/// the one above it. Spans may not start before `born`.
pub(crate) fn check_spans(spans: &[StatusSpan], born: NaiveDate, today: NaiveDate, r: &mut Report) {
    if spans.is_empty() {
        r.add(Field::Statuses, Problem::Required);
    }
    let mut previous: Option<&StatusSpan> = None;
    for (i, span) in spans.iter().enumerate() {
        let from_problem =
            past_date(span.from, born, today).or_else(|| previous.and_then(|p| follows(p, span)));
        r.check_at(Field::StatusFrom, i, from_problem);
        if let Some(until) = span.until {
            r.check_at(Field::StatusUntil, i, not_before(until, span.from));
        }
        r.check_at(Field::ClosedReason, i, closed_reason(span));
        r.check_at(Field::Notes, i, optional_text(&span.notes, MAX_NOTE_CHARS));
        previous = Some(span);
    }
}

fn follows(previous: &StatusSpan, next: &StatusSpan) -> Option<Problem> {
    if next.from < previous.from {
        return Some(Problem::OutOfOrder);
    }
    match previous.until {
        Some(end) if next.from >= end => None,
        _ => Some(Problem::Overlaps),
    }
}

fn closed_reason(span: &StatusSpan) -> Option<Problem> {
    match (span.status, span.closed_reason) {
        (LegalStatus::Closed, None) => Some(Problem::Required),
        (LegalStatus::Closed, Some(_)) | (_, None) => None,
        (_, Some(_)) => Some(Problem::NotApplicable),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::tests::assert_well_labelled;
    use crate::validation::FieldError;

    pub(crate) fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    pub(crate) fn span(
        status: LegalStatus,
        from: NaiveDate,
        until: Option<NaiveDate>,
    ) -> StatusSpan {
        StatusSpan {
            id: Uuid::nil(),
            status,
            closed_reason: (status == LegalStatus::Closed).then_some(ClosedReason::Completed),
            from,
            until,
            notes: String::new(),
        }
    }

    fn problems(spans: &[StatusSpan]) -> Vec<FieldError> {
        let mut r = Report::default();
        check_spans(spans, d(1995, 5, 1), d(2026, 11, 24), &mut r);
        r.finish().err().unwrap_or_default()
    }

    fn history() -> Vec<StatusSpan> {
        vec![
            span(
                LegalStatus::DrugUserManaged,
                d(2024, 1, 10),
                Some(d(2024, 9, 2)),
            ),
            span(
                LegalStatus::AddictionConfirmed,
                d(2024, 9, 2),
                Some(d(2024, 9, 20)),
            ),
            span(
                LegalStatus::CompulsoryRehab,
                d(2024, 9, 20),
                Some(d(2025, 9, 20)),
            ),
            span(LegalStatus::PostRehab, d(2025, 9, 20), None),
        ]
    }

    #[test]
    fn a_history_in_order_with_handover_days_is_valid() {
        assert_eq!(problems(&history()), vec![]);
    }

    #[test]
    fn a_history_needs_at_least_one_span() {
        assert_eq!(
            problems(&[]),
            vec![FieldError::new(Field::Statuses, Problem::Required)]
        );
    }

    #[test]
    fn a_span_starting_before_the_one_above_is_out_of_order() {
        let mut h = history();
        h.swap(0, 1);
        h[1].until = Some(d(2024, 9, 1));
        assert_eq!(
            problems(&h),
            vec![FieldError::at(Field::StatusFrom, 1, Problem::OutOfOrder)]
        );
    }

    #[test]
    fn a_span_starting_before_the_one_above_ended_overlaps() {
        let mut h = history();
        h[1].from = d(2024, 9, 1);
        assert_eq!(
            problems(&h),
            vec![FieldError::at(Field::StatusFrom, 1, Problem::Overlaps)]
        );
        // A span left open that is not the last one overlaps what follows.
        let mut open = history();
        open[2].until = None;
        assert_eq!(
            problems(&open),
            vec![FieldError::at(Field::StatusFrom, 3, Problem::Overlaps)]
        );
    }

    #[test]
    fn from_is_not_in_the_future_nor_before_birth() {
        let future = vec![span(LegalStatus::DrugUserManaged, d(2026, 11, 25), None)];
        assert_eq!(
            problems(&future),
            vec![FieldError::at(Field::StatusFrom, 0, Problem::InFuture)]
        );
        let unborn = vec![span(LegalStatus::DrugUserManaged, d(1990, 1, 1), None)];
        assert_eq!(
            problems(&unborn),
            vec![FieldError::at(
                Field::StatusFrom,
                0,
                Problem::TooOld {
                    earliest: d(1995, 5, 1)
                }
            )]
        );
    }

    #[test]
    fn until_is_not_before_from_but_may_lie_ahead() {
        let mut h = history();
        h[3].until = Some(d(2025, 9, 19));
        assert_eq!(
            problems(&h),
            vec![FieldError::at(
                Field::StatusUntil,
                3,
                Problem::BeforeStart {
                    start: d(2025, 9, 20)
                }
            )]
        );
        // A compulsory-rehab decision fixes its end date in advance.
        let planned = vec![span(
            LegalStatus::CompulsoryRehab,
            d(2026, 1, 5),
            Some(d(2027, 1, 5)),
        )];
        assert_eq!(problems(&planned), vec![]);
    }

    #[test]
    fn a_closed_span_needs_its_reason_and_only_it_may_have_one() {
        let mut h = history();
        h[3].until = Some(d(2026, 9, 20));
        h.push(StatusSpan {
            id: Uuid::nil(),
            closed_reason: None,
            ..span(LegalStatus::Closed, d(2026, 9, 20), None)
        });
        h[0].closed_reason = Some(ClosedReason::MovedAway);
        assert_eq!(
            problems(&h),
            vec![
                FieldError::at(Field::ClosedReason, 0, Problem::NotApplicable),
                FieldError::at(Field::ClosedReason, 4, Problem::Required),
            ]
        );
    }

    #[test]
    fn span_notes_have_a_length_limit() {
        let mut h = history();
        h[2].notes = "x".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(
            problems(&h),
            vec![FieldError::at(
                Field::Notes,
                2,
                Problem::TooLong {
                    max: MAX_NOTE_CHARS
                }
            )]
        );
    }

    #[test]
    fn the_current_span_is_the_latest_start_and_ties_go_to_the_last_listed() {
        let h = history();
        assert_eq!(current(&h).map(|s| s.status), Some(LegalStatus::PostRehab));
        let same_day = vec![
            span(
                LegalStatus::AddictionConfirmed,
                d(2025, 3, 1),
                Some(d(2025, 3, 1)),
            ),
            span(LegalStatus::VoluntaryCommunityRehab, d(2025, 3, 1), None),
        ];
        assert_eq!(
            current(&same_day).map(|s| s.status),
            Some(LegalStatus::VoluntaryCommunityRehab)
        );
        assert_eq!(current(&[]), None);
    }

    #[test]
    fn statuses_and_reasons_are_well_labelled() {
        assert_well_labelled::<LegalStatus>();
        assert_well_labelled::<ClosedReason>();
    }
}
