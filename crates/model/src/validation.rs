//! Field errors with messages in both languages. Every error names the field
//! it belongs to, so a form can show it beside that field.

use crate::labelled_enum;
use crate::lang::{Labelled, Lang};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// The fields a form can show an error beside.
    Field {
        Date = ("date", "Ngày", "Date"),
        Commune = ("commune", "Xã", "Commune"),
        VenueKind = ("venue_kind", "Loại địa điểm", "Venue kind"),
        VenueName = ("venue_name", "Tên địa điểm", "Venue name"),
        Form = ("form", "Hình thức", "Form"),
        Attendees = ("attendees", "Số người dự", "Attendees"),
        Women = ("women", "Số nữ", "Women"),
        Topic = ("topic", "Chủ đề", "Topics"),
        StartTime = ("start_time", "Giờ bắt đầu", "Start time"),
        EndTime = ("end_time", "Giờ kết thúc", "End time"),
        Location = ("location", "Vị trí GPS", "GPS position"),
        Audience = ("audience", "Đối tượng tham dự", "Audience groups"),
        Language = ("language", "Ngôn ngữ", "Language"),
        LanguageName = ("language_name", "Tên tiếng dân tộc", "Minority language"),
        Organisers = ("organisers", "Đơn vị tổ chức", "Organisers"),
        Materials = ("materials", "Tài liệu phát ra", "Materials handed out"),
        Pledges = ("pledges", "Bản cam kết đã ký", "Pledges signed"),
        Campaign = ("campaign", "Đợt cao điểm", "Campaign"),
        // Hồ sơ quản lý — person under management.
        FullName = ("full_name", "Họ và tên", "Full name"),
        BirthDate = ("birth_date", "Ngày sinh", "Date of birth"),
        Sex = ("sex", "Giới tính", "Sex"),
        CitizenId = ("citizen_id", "Số CCCD", "Citizen ID (CCCD)"),
        Ethnicity = ("ethnicity", "Dân tộc", "Ethnicity"),
        Village = ("village", "Thôn, bản", "Village"),
        Address = ("address", "Địa chỉ", "Address"),
        Phone = ("phone", "Số điện thoại", "Phone"),
        FamilyContact = ("family_contact", "Người thân liên hệ", "Family contact"),
        Substances = ("substances", "Chất ma túy sử dụng", "Substances used"),
        OfficerInCharge = ("officer_in_charge", "Cán bộ phụ trách", "Officer in charge"),
        Statuses = ("statuses", "Quá trình quản lý", "Status history"),
        Status = ("status", "Tình trạng", "Status"),
        StatusFrom = ("status_from", "Từ ngày", "From"),
        StatusUntil = ("status_until", "Đến ngày", "Until"),
        ClosedReason = ("closed_reason", "Lý do kết thúc", "Reason closed"),
        // Chuyển nơi cư trú — a person moving to another commune.
        MoveTo = ("move_to", "Chuyển đến xã", "Moving to"),
        MoveOn = ("move_on", "Cư trú tại xã mới từ ngày", "Living there from"),
        Notes = ("notes", "Ghi chú", "Notes"),
        // Lần gặp — check-in at a visit.
        Person = ("person", "Người được quản lý", "Person"),
        Officer = ("officer", "Cán bộ thực hiện", "Officer"),
        Place = ("place", "Nơi gặp", "Place"),
        Attended = ("attended", "Có mặt", "Attended"),
        AbsenceReason = ("absence_reason", "Lý do vắng mặt", "Reason for absence"),
        TestKind = ("test_kind", "Loại xét nghiệm", "Test kind"),
        TestResult = ("test_result", "Kết quả xét nghiệm", "Test result"),
        TestSubstances = ("test_substances", "Chất dương tính", "Substances found"),
        HealthState = ("health_state", "Sức khỏe, tâm thần", "Health and mental state"),
        PsychosisSigns = ("psychosis_signs", "Biểu hiện loạn thần (ngáo đá)", "Psychosis signs"),
        WorkSituation = ("work_situation", "Việc làm", "Work situation"),
        FamilySituation = ("family_situation", "Hoàn cảnh gia đình", "Family situation"),
        Support = ("support", "Hỗ trợ đã thực hiện", "Support given"),
        RelapseSuspected = ("relapse_suspected", "Nghi sử dụng lại", "Relapse suspected"),
        NextVisit = ("next_visit", "Ngày hẹn gặp lại", "Next visit"),
        // Đợt rà soát — drug-plant survey and the sites it found.
        Team = ("team", "Tổ công tác", "Team"),
        Villages = ("villages", "Thôn, bản đã rà soát", "Villages covered"),
        SurveyKind = ("survey_kind", "Loại đợt rà soát", "Survey kind"),
        AreaCovered = ("area_covered_ha", "Diện tích rà soát (ha)", "Area covered (ha)"),
        SitePoint = ("site_point", "Tọa độ điểm phát hiện", "Site location"),
        SitePolygon = ("site_polygon", "Ranh giới khu trồng", "Site boundary"),
        OutsideVietnamConfirmed = ("outside_vietnam_confirmed", "Xác nhận tọa độ ngoài Việt Nam", "Outside Vietnam confirmed"),
        Species = ("species", "Loại cây", "Plant species"),
        PlantCount = ("plant_count", "Số cây", "Plant count"),
        GrowthStage = ("growth_stage", "Giai đoạn sinh trưởng", "Growth stage"),
        LandKind = ("land_kind", "Loại đất trồng", "Land kind"),
        Grower = ("grower", "Người trồng", "Grower"),
        Action = ("action", "Biện pháp xử lý", "Action taken"),
        ActionDate = ("action_date", "Ngày xử lý", "Action date"),
        ActionBy = ("action_by", "Người xử lý", "Action by"),
        SamplesTaken = ("samples_taken", "Đã lấy mẫu", "Samples taken"),
        ReplantingOf = ("replanting_of", "Tái trồng tại điểm cũ", "Re-planting of"),
        // Điểm, tụ điểm phức tạp về ma túy — drug hot spots.
        HotSpotPlace = ("place_name", "Tên, mô tả địa điểm", "Place"),
        Activities = ("activities", "Hoạt động phát hiện", "Activity found"),
        Findings = ("findings", "Mô tả tình hình", "Description"),
        HotSpotStages = ("stages", "Quá trình giải quyết", "Status history"),
        HotSpotStage = ("stage", "Tình trạng của điểm", "Hot spot status"),
        // Cài đặt — this tablet's settings and enrolment.
        Unit = ("unit", "Đơn vị công tác", "Unit"),
        HubUrl = ("hub_url", "Địa chỉ máy chủ huyện", "District hub address"),
        EnrolCode = ("enrol_code", "Mã đăng ký do văn phòng cấp", "Enrolment code from the office"),
        ReportPeriod = ("report_period", "Kỳ báo cáo", "Reporting period"),
        ReportYear = ("report_year", "Năm", "Year"),
        ReportMonth = ("report_month", "Tháng", "Month"),
        ReportHalf = ("report_half", "Nửa năm", "Half year"),
        ReportUnit = ("report_unit", "Đơn vị báo cáo", "Reporting unit"),
        // Khóa ứng dụng — the PIN or passphrase that unlocks the store.
        Pin = ("pin", "Mã PIN hoặc mật khẩu", "PIN or passphrase"),
        OldPin = ("old_pin", "Mã PIN hiện tại", "Current PIN"),
        NewPin = ("new_pin", "Mã PIN mới", "New PIN"),
        PinAgain = ("pin_again", "Nhập lại mã PIN", "PIN again"),
        LockAfter = ("lock_after", "Tự khóa sau khi không dùng", "Lock when unused for"),
    }
);

/// What is wrong with a field's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    Required,
    NotADate,
    InFuture,
    TooOld {
        earliest: NaiveDate,
    },
    NotACommune,
    /// The commune had been merged into another (named) by the record's
    /// date: the record belongs to the new one.
    CommuneMerged {
        into: String,
        on: NaiveDate,
    },
    /// The commune did not exist on the record's date.
    CommuneNotInForce,
    TooLong {
        max: usize,
    },
    NotANumber,
    TooLarge {
        max: u32,
    },
    MoreThanTotal,
    /// A CCCD has 12 digits; 9 digits is the old CMND number.
    NotTwelveDigits {
        found: usize,
    },
    NotDigits,
    TooYoung {
        min_years: u32,
    },
    NotAPhone,
    NotAVillageOfCommune,
    /// A check-in naming a person of another commune than its own.
    NotAPersonOfCommune,
    /// A status span that starts before the one listed above it.
    OutOfOrder,
    /// A status span that starts before the one above it ended.
    Overlaps,
    BeforeStart {
        start: NaiveDate,
    },
    NotAfterDate {
        date: NaiveDate,
    },
    /// A value given where it means nothing, e.g. a reason for absence when
    /// the person came.
    NotApplicable,
    NotNonNegative,
    NotACoordinate,
    OutsideVietnam,
    TooFewPoints {
        min: usize,
    },
    SelfIntersecting,
    /// A hub address that is not http:// or https://.
    BadAddress,
    /// A hub on another machine given as http://: what it sends and
    /// receives (the register) would cross the network readable.
    PlainHttp,
    NotATime,
    /// A PIN shorter than the digits asked for, or a passphrase shorter than
    /// the characters asked for.
    PinTooShort {
        min_digits: usize,
        min_chars: usize,
    },
    /// One repeated digit or a run such as 123456: the first PINs tried.
    PinTooSimple,
    /// A hot spot's first stage is not its detection.
    NotDetectedFirst,
    /// A hot spot detected again after its first stage: a spot that forms
    /// again is recorded as a new one.
    DetectedTwice,
    /// A hot spot's stage dated before the spot was detected.
    BeforeDetection {
        detected: NaiveDate,
    },
    /// A word a spreadsheet gives where a closed list's label is expected
    /// (a sex, a substance, a status, a commune), quoted as written.
    NotInList {
        word: String,
    },
    /// A commune outside the unit of the office account importing it.
    OutsideOwnUnit,
    /// A move to the commune the person already lives in.
    SameCommune,
    /// A move to a commune of another district.
    OutsideDistrict,
    /// A person's commune changed by editing the file: only a move does.
    OnlyByMove,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{}", self.message(Lang::Vi))]
pub struct FieldError {
    pub field: Field,
    pub problem: Problem,
    /// Which entry of a list the error belongs to (0-based: the third status
    /// span, the second site), so the form marks that row and not all of them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<usize>,
}

impl FieldError {
    pub fn new(field: Field, problem: Problem) -> Self {
        Self {
            field,
            problem,
            item: None,
        }
    }

    /// An error on the field of one entry of a list.
    pub fn at(field: Field, item: usize, problem: Problem) -> Self {
        Self {
            field,
            problem,
            item: Some(item),
        }
    }

    /// The text shown beside the field, without the field's name.
    pub fn problem_text(&self, lang: Lang) -> String {
        match &self.problem {
            Problem::Required => lang.pick("Chưa nhập", "Required").into(),
            Problem::NotADate => lang
                .pick(
                    "Ngày không hợp lệ (dd/mm/yyyy)",
                    "Not a valid date (dd/mm/yyyy)",
                )
                .into(),
            Problem::InFuture => lang
                .pick("Không được sau ngày hôm nay", "Cannot be after today")
                .into(),
            Problem::TooOld { earliest } => match lang {
                Lang::Vi => format!("Không được trước {}", earliest.format("%d/%m/%Y")),
                Lang::En => format!("Cannot be before {}", earliest.format("%d/%m/%Y")),
            },
            Problem::NotACommune => lang
                .pick(
                    "Không phải xã trong danh mục đơn vị",
                    "Not a commune in the unit list",
                )
                .into(),
            Problem::CommuneMerged { into, on } => match lang {
                Lang::Vi => format!(
                    "Xã này đã sáp nhập vào {into} từ ngày {}: chọn {into}",
                    crate::report::dmy(*on)
                ),
                Lang::En => format!(
                    "This commune was merged into {into} on {}: choose {into}",
                    crate::report::dmy(*on)
                ),
            },
            Problem::CommuneNotInForce => lang
                .pick(
                    "Xã chưa thành lập hoặc đã giải thể vào ngày này",
                    "The commune did not exist on this date",
                )
                .into(),
            Problem::TooLong { max } => match lang {
                Lang::Vi => format!("Dài quá {max} ký tự"),
                Lang::En => format!("Longer than {max} characters"),
            },
            Problem::NotANumber => lang
                .pick(
                    "Phải là số nguyên không âm",
                    "Must be a whole number, 0 or more",
                )
                .into(),
            Problem::TooLarge { max } => match lang {
                Lang::Vi => format!("Không được lớn hơn {max}"),
                Lang::En => format!("Cannot be more than {max}"),
            },
            Problem::MoreThanTotal => lang
                .pick(
                    "Không được lớn hơn tổng số người dự",
                    "Cannot exceed the total attendees",
                )
                .into(),
            Problem::NotTwelveDigits { found } => match (lang, *found) {
                (Lang::Vi, 9) => "Phải gồm đúng 12 chữ số (số 9 chữ số là CMND cũ)".into(),
                (Lang::En, 9) => {
                    "Must be exactly 12 digits (a 9-digit number is the old ID card)".into()
                }
                (Lang::Vi, n) => format!("Phải gồm đúng 12 chữ số (đang có {n})"),
                (Lang::En, n) => format!("Must be exactly 12 digits ({n} given)"),
            },
            Problem::NotDigits => lang.pick("Chỉ được gồm chữ số", "Digits only").into(),
            Problem::TooYoung { min_years } => match lang {
                Lang::Vi => format!("Phải đủ {min_years} tuổi"),
                Lang::En => format!("Must be at least {min_years} years old"),
            },
            Problem::NotAPhone => lang
                .pick(
                    "Số điện thoại không hợp lệ (9–15 chữ số, có thể bắt đầu bằng +)",
                    "Not a phone number (9–15 digits, may start with +)",
                )
                .into(),
            Problem::NotAVillageOfCommune => lang
                .pick(
                    "Không phải thôn, bản của xã đã chọn",
                    "Not a village of the chosen commune",
                )
                .into(),
            Problem::NotAPersonOfCommune => lang
                .pick(
                    "Người này không thuộc xã của lần gặp",
                    "This person does not belong to the check-in's commune",
                )
                .into(),
            Problem::OutOfOrder => lang
                .pick(
                    "Bắt đầu trước tình trạng liền trên; sắp xếp theo thời gian",
                    "Starts before the status above it; list them in time order",
                )
                .into(),
            Problem::Overlaps => lang
                .pick(
                    "Trùng thời gian với tình trạng liền trên (chưa kết thúc)",
                    "Overlaps the status above it (not ended yet)",
                )
                .into(),
            Problem::BeforeStart { start } => match lang {
                Lang::Vi => format!("Không được trước ngày bắt đầu {}", start.format("%d/%m/%Y")),
                Lang::En => format!("Cannot be before the start, {}", start.format("%d/%m/%Y")),
            },
            Problem::NotAfterDate { date } => match lang {
                Lang::Vi => format!("Phải sau ngày {}", date.format("%d/%m/%Y")),
                Lang::En => format!("Must be after {}", date.format("%d/%m/%Y")),
            },
            Problem::NotInList { word } => match lang {
                Lang::Vi => format!("“{word}” không có trong danh mục"),
                Lang::En => format!("“{word}” is not in the list"),
            },
            Problem::OutsideOwnUnit => lang
                .pick(
                    "Xã không thuộc đơn vị của tài khoản này",
                    "The commune is outside this account's unit",
                )
                .into(),
            Problem::SameCommune => lang
                .pick(
                    "Người này đang cư trú tại xã này",
                    "The person already lives in this commune",
                )
                .into(),
            Problem::OnlyByMove => lang
                .pick(
                    "Đổi xã bằng «Chuyển nơi cư trú» trên hồ sơ",
                    "Change the commune with «Move to another commune» on the file",
                )
                .into(),
            Problem::OutsideDistrict => lang
                .pick(
                    "Chỉ chuyển được đến một xã cùng huyện",
                    "A file can move only to a commune of the same district",
                )
                .into(),
            Problem::NotApplicable => lang
                .pick(
                    "Không áp dụng trong trường hợp này; bỏ trống",
                    "Does not apply here; leave it empty",
                )
                .into(),
            Problem::NotNonNegative => lang
                .pick("Phải là số, từ 0 trở lên", "Must be a number, 0 or more")
                .into(),
            Problem::NotACoordinate => lang
                .pick(
                    "Tọa độ không hợp lệ (vĩ độ −90..90, kinh độ −180..180)",
                    "Not a valid coordinate (latitude −90..90, longitude −180..180)",
                )
                .into(),
            Problem::OutsideVietnam => lang
                .pick(
                    "Nằm ngoài phạm vi Việt Nam; kiểm tra GPS hoặc đánh dấu xác nhận",
                    "Outside Vietnam; check the GPS or tick the confirmation",
                )
                .into(),
            Problem::TooFewPoints { min } => match lang {
                Lang::Vi => format!("Cần ít nhất {min} điểm khác nhau"),
                Lang::En => format!("Needs at least {min} distinct points"),
            },
            Problem::SelfIntersecting => lang
                .pick(
                    "Ranh giới tự cắt nhau; đi lại hoặc sửa các điểm",
                    "The boundary crosses itself; walk it again or fix the points",
                )
                .into(),
            Problem::NotATime => lang
                .pick("Giờ không hợp lệ (HH:MM)", "Not a valid time (HH:MM)")
                .into(),
            Problem::PinTooShort {
                min_digits,
                min_chars,
            } => match lang {
                Lang::Vi => format!(
                    "Mã PIN cần ít nhất {min_digits} chữ số, hoặc mật khẩu ít nhất {min_chars} ký tự"
                ),
                Lang::En => format!(
                    "A PIN needs at least {min_digits} digits, or a passphrase at least {min_chars} characters"
                ),
            },
            Problem::NotDetectedFirst => lang
                .pick(
                    "Tình trạng đầu tiên phải là \"Mới phát hiện\"",
                    "The first status must be \"Detected\"",
                )
                .into(),
            Problem::DetectedTwice => lang
                .pick(
                    "Điểm chỉ phát hiện một lần; điểm tái hình thành thì ghi thành điểm mới",
                    "A spot is detected once; record a spot that forms again as a new one",
                )
                .into(),
            Problem::BeforeDetection { detected } => match lang {
                Lang::Vi => format!(
                    "Không được trước ngày phát hiện {}",
                    detected.format("%d/%m/%Y")
                ),
                Lang::En => format!(
                    "Cannot be before the day it was detected, {}",
                    detected.format("%d/%m/%Y")
                ),
            },
            Problem::PinTooSimple => lang
                .pick(
                    "Mã PIN quá dễ đoán (các số giống nhau hoặc liên tiếp); chọn số khác",
                    "The PIN is too easy to guess (repeated or consecutive digits); choose another",
                )
                .into(),
            Problem::BadAddress => lang
                .pick(
                    "Địa chỉ phải bắt đầu bằng https:// (VD: https://pcmt.dakglei.vn)",
                    "Must start with https:// (e.g. https://pcmt.dakglei.vn)",
                )
                .into(),
            Problem::PlainHttp => lang
                .pick(
                    "Máy chủ ở máy khác phải dùng https:// để dữ liệu không bị đọc trộm trên đường truyền (http:// chỉ dùng cho máy chủ trên chính máy này)",
                    "A hub on another machine needs https://, so the data cannot be read on the way (http:// is only for a hub on this very machine)",
                )
                .into(),
        }
    }

    /// The full message, naming the field: "Ngày: Không được sau ngày hôm nay",
    /// and the entry for a list: "Từ ngày #2: ..." (counted from 1, as
    /// officers count rows).
    pub fn message(&self, lang: Lang) -> String {
        let label = self.field.label(lang);
        let text = self.problem_text(lang);
        match self.item {
            Some(i) => format!("{label} #{}: {text}", i + 1),
            None => format!("{label}: {text}"),
        }
    }
}

/// Reads a date as typed by an officer (dd/mm/yyyy) or as sent by a date
/// input (yyyy-mm-dd). An impossible date such as 30/02 is an error.
pub fn parse_date(field: Field, text: &str) -> Result<NaiveDate, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .map_err(|_| FieldError::new(field, Problem::NotADate))
}

/// Reads a count typed into a number box.
pub fn parse_count(field: Field, text: &str) -> Result<u32, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    t.parse::<u32>()
        .map_err(|_| FieldError::new(field, Problem::NotANumber))
}

/// A date that may be left empty (e.g. the end of a status still running).
pub fn parse_optional_date(field: Field, text: &str) -> Result<Option<NaiveDate>, FieldError> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(field, text).map(Some)
    }
}

/// A time of day as typed (HH:MM, 24-hour), or nothing.
pub fn parse_optional_time(
    field: Field,
    text: &str,
) -> Result<Option<chrono::NaiveTime>, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    chrono::NaiveTime::parse_from_str(t, "%H:%M")
        .map(Some)
        .map_err(|_| FieldError::new(field, Problem::NotATime))
}

/// A decimal number as typed, with a comma or a point ("1,5" is 1.5, as
/// Vietnamese write it), or nothing. Negative numbers are refused.
pub fn parse_optional_decimal(field: Field, text: &str) -> Result<Option<f64>, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.replace(',', ".").parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(FieldError::new(field, Problem::NotNonNegative)),
    }
}

/// A count that may be left empty, which means 0.
pub fn parse_count_or_zero(field: Field, text: &str) -> Result<u32, FieldError> {
    if text.trim().is_empty() {
        Ok(0)
    } else {
        parse_count(field, text)
    }
}

/// A coordinate pair as typed: "lat, lon" in decimal degrees. Whether it is
/// on the globe and in Vietnam is the record's validation.
pub fn parse_point(field: Field, text: &str) -> Result<crate::GeoPoint, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(FieldError::new(field, Problem::Required));
    }
    let mut parts = t.split([',', ';', ' ']).filter(|p| !p.is_empty());
    let num = |p: Option<&str>| p.and_then(|p| p.parse::<f64>().ok());
    match (num(parts.next()), num(parts.next()), parts.next()) {
        (Some(lat), Some(lon), None) => Ok(crate::GeoPoint { lat, lon }),
        _ => Err(FieldError::new(field, Problem::NotACoordinate)),
    }
}

/// A position as the forms show it: six decimals, about 0.1 m.
pub fn point_text(p: crate::GeoPoint) -> String {
    format!("{:.6}, {:.6}", p.lat, p.lon)
}

/// A position as the officer left it: `stored` itself while `text` still
/// shows it as [`point_text`] does, otherwise `text` read. A position kept
/// to more decimals than a form shows (another tablet's GPS, an import) is
/// then never rewritten by a save that did not touch it: that would be a
/// change, and could be a conflict, nobody made.
pub fn parse_point_as_shown(
    field: Field,
    text: &str,
    stored: Option<crate::GeoPoint>,
) -> Result<crate::GeoPoint, FieldError> {
    match stored.filter(|p| point_text(*p) == text.trim()) {
        Some(p) => Ok(p),
        None => parse_point(field, text),
    }
}

/// Test helper: the (field, problem) pairs of a validation result, in order.
#[cfg(test)]
pub(crate) fn problem_pairs(result: Result<(), Vec<FieldError>>) -> Vec<(Field, Problem)> {
    result
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|e| (e.field, e.problem))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_shown_and_left_as_it_was_keeps_its_stored_decimals() {
        let stored = crate::GeoPoint {
            lat: 15.060_123_456_7,
            lon: 107.740_234_567_8,
        };
        let shown = point_text(stored);
        assert_eq!(shown, "15.060123, 107.740235");
        let read = |text: &str| parse_point_as_shown(Field::SitePoint, text, Some(stored));
        assert_eq!(read(&shown), Ok(stored));
        assert_eq!(read(&format!(" {shown} ")), Ok(stored));
        let moved = read("15.060124, 107.740235").unwrap();
        assert_eq!((moved.lat, moved.lon), (15.060124, 107.740235));
        assert_eq!(
            parse_point_as_shown(Field::SitePoint, &shown, None)
                .unwrap()
                .lat,
            15.060123
        );
        assert!(read("").is_err());
    }

    #[test]
    fn typed_times_decimals_and_points_parse_or_name_their_problem() {
        let t = |s| parse_optional_time(Field::StartTime, s);
        assert_eq!(t(""), Ok(None));
        assert_eq!(t("07:30"), Ok(chrono::NaiveTime::from_hms_opt(7, 30, 0)));
        assert_eq!(t("25:00").unwrap_err().problem, Problem::NotATime);
        let d = |s| parse_optional_decimal(Field::AreaCovered, s);
        assert_eq!(d("1,5"), Ok(Some(1.5)));
        assert_eq!(d(" "), Ok(None));
        assert_eq!(d("-2").unwrap_err().problem, Problem::NotNonNegative);
        assert_eq!(d("NaN").unwrap_err().problem, Problem::NotNonNegative);
        assert_eq!(parse_count_or_zero(Field::Pledges, ""), Ok(0));
        assert_eq!(
            parse_point(Field::SitePoint, "15.1234, 107.5"),
            Ok(crate::GeoPoint {
                lat: 15.1234,
                lon: 107.5
            })
        );
        assert_eq!(
            parse_point(Field::SitePoint, "15.1").unwrap_err().problem,
            Problem::NotACoordinate
        );
        assert_eq!(
            parse_point(Field::SitePoint, "1 2 3").unwrap_err().problem,
            Problem::NotACoordinate
        );
        assert_eq!(
            parse_optional_date(Field::StatusUntil, "31/02/2026")
                .unwrap_err()
                .problem,
            Problem::NotADate
        );
    }

    #[test]
    fn dates_in_both_spellings_parse_and_impossible_ones_do_not() {
        let d = NaiveDate::from_ymd_opt(2026, 6, 26).unwrap();
        assert_eq!(parse_date(Field::Date, "2026-06-26"), Ok(d));
        assert_eq!(parse_date(Field::Date, " 26/06/2026 "), Ok(d));
        assert_eq!(
            parse_date(Field::Date, "30/02/2026").unwrap_err().problem,
            Problem::NotADate
        );
        assert_eq!(
            parse_date(Field::Date, "").unwrap_err().problem,
            Problem::Required
        );
    }

    #[test]
    fn counts_must_be_whole_and_not_negative() {
        assert_eq!(parse_count(Field::Attendees, "40"), Ok(40));
        for bad in ["-1", "4.5", "bốn"] {
            assert_eq!(
                parse_count(Field::Attendees, bad).unwrap_err().problem,
                Problem::NotANumber
            );
        }
    }

    #[test]
    fn messages_name_the_field_in_each_language() {
        let e = FieldError::new(Field::Women, Problem::MoreThanTotal);
        assert_eq!(
            e.message(Lang::Vi),
            "Số nữ: Không được lớn hơn tổng số người dự"
        );
        assert_eq!(
            e.message(Lang::En),
            "Women: Cannot exceed the total attendees"
        );
        assert_eq!(e.to_string(), e.message(Lang::Vi));
    }

    #[test]
    fn messages_for_a_list_entry_count_from_one() {
        let e = FieldError::at(Field::StatusFrom, 1, Problem::Overlaps);
        assert_eq!(
            e.message(Lang::En),
            "From #2: Overlaps the status above it (not ended yet)"
        );
        assert!(e.message(Lang::Vi).starts_with("Từ ngày #2: "));
    }

    #[test]
    fn an_error_without_an_entry_serializes_as_before() {
        let e = FieldError::new(Field::Date, Problem::InFuture);
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"field":"date","problem":{"kind":"in_future"}}"#);
        let back: FieldError = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        let at = FieldError::at(Field::SitePolygon, 0, Problem::SelfIntersecting);
        let back: FieldError = serde_json::from_str(&serde_json::to_string(&at).unwrap()).unwrap();
        assert_eq!(back.item, Some(0));
    }

    #[test]
    fn a_nine_digit_id_is_named_as_the_old_card() {
        let old = FieldError::new(Field::CitizenId, Problem::NotTwelveDigits { found: 9 });
        assert!(old.message(Lang::Vi).contains("CMND cũ"));
        let short = FieldError::new(Field::CitizenId, Problem::NotTwelveDigits { found: 10 });
        assert_eq!(
            short.message(Lang::En),
            "Citizen ID (CCCD): Must be exactly 12 digits (10 given)"
        );
    }

    #[test]
    fn fields_are_well_labelled() {
        crate::lang::tests::assert_well_labelled::<Field>();
    }
}
