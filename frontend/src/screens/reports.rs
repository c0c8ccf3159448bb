//! Reports (Báo cáo): the figures the provincial plans ask for, for a month,
//! six months or a year and for a commune or its district, each against its
//! target; and the files an office files (XLSX, CSV, GeoJSON, KML). The same
//! computation runs on the hub.

use crate::api;
use crate::app::{Ctx, Notice};
use crate::load::{fetched, use_fetch};
use crate::ui::{self, field, list_choice, setter};
use chrono::Datelike;
use pcmt_model::report::{
    comparison_headers, ExportFormat, Indicator, Period, PeriodKind, Report, Section, Unit,
};
use pcmt_model::text::number;
use pcmt_model::{Field, Labelled, Lang};
use yew::prelude::*;

/// What the officer chose; the period is built from it.
#[derive(Clone, PartialEq)]
struct Choice {
    kind: PeriodKind,
    year: i32,
    month: u32,
    half: u32,
    unit: String,
}

impl Choice {
    fn period(&self) -> Option<Period> {
        match self.kind {
            PeriodKind::Month => Period::month(self.year, self.month),
            PeriodKind::HalfYear => Period::half_year(self.year, self.half),
            PeriodKind::Year | PeriodKind::Range => Period::year(self.year),
        }
        .ok()
    }
}

/// The units a tablet can report on: its communes, and the districts they
/// roll up to (a district figure on a tablet covers only its communes).
fn report_units(ctx: &Ctx) -> Vec<(String, String)> {
    let communes = ctx.communes();
    let mut districts: Vec<(String, String)> = Vec::new();
    for (code, _) in &communes {
        let parent = ctx.units.get(code).and_then(|c| c.parent.clone());
        if let Some(d) = parent.and_then(|p| ctx.units.get(&p)) {
            if !districts.iter().any(|(c, _)| *c == d.code) {
                districts.push((d.code.clone(), d.name.clone()));
            }
        }
    }
    districts.into_iter().chain(communes).collect()
}

#[function_component]
pub fn Reports() -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let today = api::today();
    let units = report_units(&ctx);
    let choice = {
        let unit = units.first().map(|u| u.0.clone()).unwrap_or_default();
        use_state(move || Choice {
            kind: PeriodKind::Month,
            year: today.year(),
            month: today.month(),
            half: if today.month() <= 6 { 1 } else { 2 },
            unit,
        })
    };
    let period = choice.period();
    let report = use_fetch(
        (choice.unit.clone(), period, ctx.generation),
        |(unit, period, _)| async move {
            match period {
                Some(p) => api::report(&unit, &p).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let l = ctx.lang;
    let c = &*choice;
    let kinds: Vec<(String, String)> = [PeriodKind::Month, PeriodKind::HalfYear, PeriodKind::Year]
        .iter()
        .map(|k| (k.code().to_string(), k.label(l).to_string()))
        .collect();
    let years: Vec<(String, String)> = (today.year() - 4..=today.year())
        .rev()
        .map(|y| (y.to_string(), y.to_string()))
        .collect();
    let months: Vec<(String, String)> = (1..=12)
        .map(|m| {
            (
                m.to_string(),
                format!("{} {m:02}", l.pick("Tháng", "Month")),
            )
        })
        .collect();
    let halves = vec![
        (
            "1".to_string(),
            l.pick("6 tháng đầu năm", "First half").to_string(),
        ),
        (
            "2".to_string(),
            l.pick("6 tháng cuối năm", "Second half").to_string(),
        ),
    ];
    let no_errors = Vec::new();
    html! {
        <div class="reports">
            { ui::heading(l.pick("Báo cáo", "Reports"), html! {}) }
            <section class="card filters">
                <div class="grid four">
                    { field(l, "report-kind", Field::ReportPeriod, None, &no_errors, list_choice("report-kind", kinds, c.kind.code(),
                        setter(&choice, |c: &mut Choice, v: String| c.kind = PeriodKind::from_code(&v).unwrap_or(PeriodKind::Month)))) }
                    { field(l, "report-year", Field::ReportYear, None, &no_errors, list_choice("report-year", years, &c.year.to_string(),
                        setter(&choice, |c: &mut Choice, v: String| c.year = v.parse().unwrap_or(c.year)))) }
                    if c.kind == PeriodKind::Month {
                        { field(l, "report-month", Field::ReportMonth, None, &no_errors, list_choice("report-month", months, &c.month.to_string(),
                            setter(&choice, |c: &mut Choice, v: String| c.month = v.parse().unwrap_or(c.month)))) }
                    }
                    if c.kind == PeriodKind::HalfYear {
                        { field(l, "report-half", Field::ReportHalf, None, &no_errors, list_choice("report-half", halves, &c.half.to_string(),
                            setter(&choice, |c: &mut Choice, v: String| c.half = v.parse().unwrap_or(c.half)))) }
                    }
                    { field(l, "report-unit", Field::ReportUnit, None, &no_errors, list_choice("report-unit", units, &c.unit,
                        setter(&choice, |c: &mut Choice, v: String| c.unit = v))) }
                </div>
            </section>
            { fetched(&ctx, &report, |r: &Option<Report>| match (r, period) {
                // The figures on screen are of another choice: the new
                // ones are being counted (a district's year takes a moment).
                (Some(r), Some(p)) if r.unit.code != c.unit || r.period != p => counting(l),
                (Some(r), Some(p)) => report_view(&ctx, r, &c.unit, p),
                _ => html! {},
            }) }
        </div>
    }
}

fn counting(l: Lang) -> Html {
    html! {
        <p class="notice progress" id="report-busy" role="status">
            <span class="spinner" aria-hidden="true"></span>
            { l.pick("Đang tính báo cáo…", "Counting the report…") }
        </p>
    }
}

fn report_view(ctx: &Ctx, r: &Report, unit: &str, period: Period) -> Html {
    let l = ctx.lang;
    let due = r.due_text(l);
    html! {
        <>
            <section class="card report-head">
                <h3 id="report-title">{ format!("{} · {}", r.unit.name, r.period.label(l)) }</h3>
                if let Some(note) = r.counted_note(l) { <p class="counted-note" id="report-counted">{ note }</p> }
                if let Some(due) = due { <p class="meta" id="report-due">{ due }</p> }
                <p class="meta" id="report-previous">{ r.previous_note(l) }</p>
                <div class="exports">
                    { for ExportFormat::ALL.iter().map(|f| html! { <ExportButton unit={unit.to_string()} {period} format={*f} /> }) }
                </div>
            </section>
            { for Section::ALL.iter().map(|s| section_view(l, r, *s)) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct ExportProps {
    unit: String,
    period: Period,
    format: ExportFormat,
}

/// One export: while the file is made and written the button says so and
/// takes no second press.
#[function_component]
fn ExportButton(props: &ExportProps) -> Html {
    let Some(ctx) = use_context::<Ctx>() else {
        return html! {};
    };
    let busy = use_state(|| false);
    let (unit, period, format) = (props.unit.clone(), props.period, props.format);
    let onclick = {
        let (ctx, busy) = (ctx.clone(), busy.clone());
        Callback::from(move |_: MouseEvent| {
            busy.set(true);
            let (ctx, unit, busy) = (ctx.clone(), unit.clone(), busy.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let done = api::export_report(&unit, &period, format).await;
                busy.set(false);
                match done {
                    Ok(done) => ctx.notify.emit(Notice::Ok(format!(
                        "{} {} ({}). {} {}",
                        ctx.t("Đã lưu tệp", "File saved:"),
                        done.path,
                        ui::size(done.bytes),
                        if done.personal_data {
                            ctx.t(
                                "Tệp có thông tin cá nhân: giữ kín, không gửi qua mạng xã hội.",
                                "The file holds personal data: keep it private, never send it over social media.",
                            )
                        } else {
                            ctx.t(
                                "Tệp không có thông tin cá nhân (chỉ số liệu tổng hợp và vị trí điểm trồng).",
                                "The file holds no personal data (only totals and the sites' positions).",
                            )
                        },
                        ctx.t("Đã ghi vào nhật ký xuất tệp.", "Logged in the export log."),
                    ))),
                    Err(e) => ctx.fail(&e),
                }
            });
        })
    };
    html! {
        <button type="button" class="secondary" id={format!("export-{}", format.code())} {onclick} disabled={*busy} aria-busy={(*busy).to_string()}>
            if *busy {
                <span class="spinner" aria-hidden="true"></span>
                { ctx.t("Đang lưu tệp…", "Saving the file…") }
            } else {
                { format!("{} {}", ctx.t("Xuất", "Export"), format.label(ctx.lang)) }
            }
        </button>
    }
}

fn section_view(l: Lang, r: &Report, section: Section) -> Html {
    let not_reached = |title: (&'static str, &'static str),
                       units: &[pcmt_model::report::NamedUnit]| {
        if units.is_empty() {
            return html! {};
        }
        html! {
            <p class="not-reached"><strong>{ format!("{}: ", l.pick(title.0, title.1)) }</strong>
                { units.iter().map(|u| u.name.as_str()).collect::<Vec<_>>().join(", ") }</p>
        }
    };
    html! {
        <section class={classes!("card", "report-section")} id={format!("section-{}", section.code())}>
            <h3>{ section.label(l) }</h3>
            <table class="indicators">
                <thead><tr>
                    <th>{ l.pick("Chỉ tiêu", "Indicator") }</th>
                    <th class="num">{ l.pick("Kết quả", "Value") }</th>
                    <th class="num">{ l.pick("Kế hoạch", "Target") }</th>
                    <th>{ l.pick("Đánh giá", "Assessment") }</th>
                    <th class="num">{ comparison_headers(l)[0] }</th>
                </tr></thead>
                <tbody>
                    { for r.section(section).map(|i| indicator_row(l, i)) }
                </tbody>
            </table>
            if section == Section::Sessions {
                { not_reached(("Xã chưa được tuyên truyền", "Communes not reached"), &r.communes_not_reached) }
                { not_reached(("Trường chưa được tuyên truyền", "Schools not reached"), &r.schools_not_reached) }
                { not_reached(("Khu công nghiệp chưa được tuyên truyền", "Industrial zones not reached"), &r.zones_not_reached) }
                { not_reached(("Cơ quan, đơn vị chưa được tuyên truyền", "Agencies not reached"), &r.agencies_not_reached) }
            }
            if section == Section::Eradication {
                { not_reached(("Xã rà soát không phát hiện", "Communes swept with no finding"), &r.communes_without_finding) }
            }
        </section>
    }
}

fn indicator_row(l: Lang, i: &Indicator) -> Html {
    let unit = i.code.def().unit;
    let value = match (i.value, unit) {
        (None, _) => "—".to_string(),
        (Some(v), Unit::Percent) => match (i.numerator, i.denominator) {
            (Some(n), Some(d)) => format!("{}% ({n}/{d})", number(v, 1, l)),
            _ => format!("{}%", number(v, 1, l)),
        },
        (Some(v), Unit::Hectares) => format!("{} ha", number(v, 2, l)),
        (Some(v), u) => format!("{} {}", number(v, 0, l), u.label(l)),
    };
    let target = i.target_text(l);
    let badge = match i.met {
        Some(met) => {
            let class = if met { "met" } else { "overdue" };
            html! { <span class={classes!("badge", class)}>{ i.assessment(l) }</span> }
        }
        None => html! {},
    };
    html! {
        <tr id={format!("indicator-{}", i.code.code())}>
            <td>{ i.code.label(l) }</td>
            <td class="num">{ value }</td>
            <td class="num">{ target }</td>
            <td>{ badge }</td>
            <td class="num previous">{ i.previous_text(l) }
                <span class="change">{ i.change_text(l) }</span></td>
        </tr>
    }
}
