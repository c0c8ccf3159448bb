//! Charts drawn on the server as inline SVG: no script, no library, nothing
//! fetched from elsewhere, and they print as they show.

use super::html::{esc, number};
use pcmt_model::plot::{readable_step, PlotFit};
use pcmt_model::report::SiteFeature;
use pcmt_model::{GeoPoint, Labelled, Lang, PlantSpecies};
use std::fmt::Write;

/// High-contrast colours, one per plant species in list order, that stay
/// distinguishable for the common colour-vision deficiencies (Okabe–Ito).
const SPECIES_COLOURS: [&str; 6] = [
    "#D55E00", "#009E73", "#0072B2", "#CC79A7", "#E69F00", "#56B4E9",
];

fn species_colour(s: PlantSpecies) -> &'static str {
    let i = PlantSpecies::ALL.iter().position(|x| *x == s).unwrap_or(0);
    SPECIES_COLOURS[i % SPECIES_COLOURS.len()]
}

/// Gridlines above zero.
const TICKS: u32 = 4;

/// The axis top for values up to `max`: four equal whole-number steps of a
/// readable size, so every gridline's label is exact.
fn axis_top(max: f64) -> f64 {
    readable_step(max / f64::from(TICKS)) * f64::from(TICKS)
}

/// A bar per month (label, value), with the value above each bar and a
/// four-step axis. `id` names the SVG for tests and screen readers.
pub fn bar_chart(id: &str, title: &str, bars: &[(String, f64)], lang: Lang) -> String {
    const W: f64 = 560.0;
    const H: f64 = 230.0;
    const LEFT: f64 = 52.0;
    const BOTTOM: f64 = 34.0;
    const TOP: f64 = 22.0;
    let plot_w = W - LEFT - 10.0;
    let plot_h = H - BOTTOM - TOP;
    let top = axis_top(bars.iter().map(|b| b.1).fold(0.0, f64::max));
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg id="{id}" class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title>"#,
        t = esc(title)
    );
    for step in 0..=TICKS {
        let v = top * f64::from(step) / f64::from(TICKS);
        let y = TOP + plot_h - plot_h * f64::from(step) / f64::from(TICKS);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{x2}" y1="{y:.1}" y2="{y:.1}" stroke="#d5dbe3"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="axis">{v}</text>"##,
            x2 = W - 10.0,
            tx = LEFT - 6.0,
            ty = y + 4.0,
            v = number(v, 0, lang)
        );
    }
    let slot = plot_w / bars.len().max(1) as f64;
    let bar_w = (slot * 0.62).min(48.0);
    for (i, (label, value)) in bars.iter().enumerate() {
        let h = plot_h * value / top;
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let y = TOP + plot_h - h;
        let mid = x + bar_w / 2.0;
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="#1f5f99"><title>{l}: {v}</title></rect>"##,
            l = esc(label),
            v = number(*value, 0, lang)
        );
        if *value > 0.0 {
            let _ = write!(
                svg,
                r#"<text x="{mid:.1}" y="{vy:.1}" text-anchor="middle" class="value">{v}</text>"#,
                vy = y - 5.0,
                v = number(*value, 0, lang)
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{mid:.1}" y="{ly}" text-anchor="middle" class="axis">{l}</text>"#,
            ly = H - BOTTOM + 18.0,
            l = esc(label)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A walked boundary as an SVG polygon in the species' colour.
fn polygon(fit: &PlotFit, boundary: &[GeoPoint], colour: &str) -> String {
    format!(
        r#"<polygon points="{}" fill="{colour}" fill-opacity="0.3" stroke="{colour}" stroke-width="1.5"/>"#,
        fit.svg_points(boundary)
    )
}

/// Each walked boundary on its own small plot, at its own scale, with its
/// area: at district scale a field of a few thousand m² is a dot.
pub fn boundaries(sites: &[SiteFeature], lang: Lang) -> String {
    const S: f64 = 150.0;
    let mut out = String::new();
    for (n, s) in sites.iter().enumerate() {
        let Some(boundary) = &s.polygon else { continue };
        let Some(fit) = PlotFit::new(boundary, (S, S - 30.0), 10.0, 0.0001) else {
            continue;
        };
        let area = s
            .area_m2
            .map(|a| format!("{} m²", number(a, 0, lang)))
            .unwrap_or_default();
        let _ = write!(
            out,
            r##"<svg class="boundary" id="boundary-{n}" viewBox="0 0 {S} {S}" role="img" aria-label="{t}"><title>{t}</title><rect width="{S}" height="{S}" fill="#f7f9fb" stroke="#c9d1db"/>{poly}<text x="{mid}" y="{y1}" text-anchor="middle" class="axis">{sp}</text><text x="{mid}" y="{y2}" text-anchor="middle" class="value">{area} · {d}</text></svg>"##,
            t = esc(&format!(
                "{} {}",
                lang.pick("Ranh giới", "Boundary"),
                s.species.label(lang)
            )),
            poly = polygon(&fit, boundary, species_colour(s.species)),
            mid = S / 2.0,
            y1 = S - 18.0,
            y2 = S - 5.0,
            sp = esc(s.species.label(lang)),
            d = s.date.format("%d/%m/%Y"),
        );
    }
    out
}

/// The sites on a plain plot: each point, each walked boundary, scaled to
/// their bounding box (longitude shrunk by the cosine of the latitude, so
/// shapes keep their proportions), with a scale bar and a legend. Not a
/// map: no tiles can be fetched offline, and the hub serves nothing from
/// elsewhere.
pub fn site_plot(sites: &[SiteFeature], lang: Lang) -> String {
    const W: f64 = 560.0;
    const H: f64 = 380.0;
    const PAD: f64 = 28.0;
    let points: Vec<GeoPoint> = sites
        .iter()
        .flat_map(|s| std::iter::once(s.point).chain(s.polygon.iter().flatten().copied()))
        .collect();
    let title = esc(lang.pick("Sơ đồ vị trí các điểm phát hiện", "Plot of the sites found"));
    // A lone point still gets about a kilometre around it.
    let Some(fit) = PlotFit::new(&points, (W, H - 24.0), PAD, 0.01) else {
        // Nothing to place: a short box that says so.
        return format!(
            r##"<svg id="site-plot" class="plot" viewBox="0 0 {W} 90" role="img" aria-label="{title}"><title>{title}</title><rect width="{W}" height="90" fill="#f7f9fb" stroke="#c9d1db"/><text x="{x}" y="50" text-anchor="middle" class="empty">{t}</text></svg>"##,
            x = W / 2.0,
            t = esc(lang.pick("Không có điểm nào trong kỳ này", "No site in this period"))
        );
    };
    let mut svg = format!(
        r##"<svg id="site-plot" class="plot" viewBox="0 0 {W} {H}" role="img" aria-label="{title}"><title>{title}</title><rect width="{W}" height="{H}" fill="#f7f9fb" stroke="#c9d1db"/>"##
    );
    for s in sites {
        let colour = species_colour(s.species);
        if let Some(boundary) = &s.polygon {
            svg.push_str(&polygon(&fit, boundary, colour));
        }
    }
    for s in sites {
        let (x, y) = fit.xy(s.point);
        let _ = write!(
            svg,
            r##"<circle class="site" cx="{x:.1}" cy="{y:.1}" r="6" fill="{c}" stroke="#fff" stroke-width="1.5"><title>{sp} — {n} {plants} — {d} — {lat:.5}, {lon:.5}</title></circle>""##,
            c = species_colour(s.species),
            sp = esc(s.species.label(lang)),
            n = number(f64::from(s.plant_count), 0, lang),
            plants = lang.pick("cây", "plants"),
            d = s.date.format("%d/%m/%Y"),
            lat = s.point.lat,
            lon = s.point.lon,
        );
    }
    // Scale bar: a readable length near a fifth of the width.
    let bar = fit.scale_bar(W / 20.0);
    let (bar_px, label) = (bar.px, bar.label(lang));
    let _ = write!(
        svg,
        r##"<g class="scale"><line x1="{PAD}" x2="{x2:.1}" y1="{y}" y2="{y}" stroke="#222" stroke-width="3"/><text x="{PAD}" y="{ty}" class="axis">{label}</text><text x="{nx}" y="{PAD}" class="axis" text-anchor="middle">▲ {north}</text></g>"##,
        x2 = PAD + bar_px,
        y = H - 16.0,
        ty = H - 22.0,
        nx = W - PAD,
        north = lang.pick("Bắc", "N"),
    );
    let mut legend_x = PAD + bar_px + 24.0;
    for species in PlantSpecies::ALL {
        if !sites.iter().any(|s| s.species == *species) {
            continue;
        }
        let name = esc(species.label(lang));
        let _ = write!(
            svg,
            r#"<circle cx="{legend_x:.1}" cy="{cy}" r="5" fill="{c}"/><text x="{tx:.1}" y="{ty}" class="axis">{name}</text>"#,
            cy = H - 18.0,
            c = species_colour(*species),
            tx = legend_x + 9.0,
            ty = H - 14.0,
        );
        legend_x += 24.0 + 7.0 * name.chars().count() as f64;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_split_into_four_whole_readable_steps() {
        assert_eq!(axis_top(0.0), 4.0);
        assert_eq!(axis_top(3.0), 4.0);
        assert_eq!(axis_top(7.0), 8.0);
        assert_eq!(axis_top(385.0), 400.0);
        assert_eq!(axis_top(2070.0), 2400.0);
        assert_eq!(axis_top(100.0), 100.0);
    }

    #[test]
    fn bars_are_scaled_to_the_axis_and_labels_escaped() {
        let svg = bar_chart(
            "c",
            "Buổi <tuyên truyền>",
            &[("01/26".into(), 50.0), ("02/26".into(), 100.0)],
            Lang::Vi,
        );
        assert!(svg.contains("Buổi &lt;tuyên truyền&gt;"));
        // Axis top 100 over a 174-pixel plot: the larger bar fills it.
        assert!(svg.contains(r#"height="174.0""#), "{svg}");
        assert!(svg.contains(r#"height="87.0""#), "{svg}");
    }
}
