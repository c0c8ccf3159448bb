//! A site's walked boundary drawn to scale: the polygon, each point walked,
//! the site's own point, a north arrow, a scale bar and the area. Drawn by
//! the same rules as the office's site plot (`pcmt_model::plot`), with no
//! map tiles (there are none offline). While the officer walks, the ring
//! is drawn open, the way walked, and the last fix stands out: it grows
//! with each step.

use crate::ui;
use pcmt_model::plot::PlotFit;
use pcmt_model::{polygon_area_m2, GeoPoint, Lang};
use yew::prelude::*;

const W: f64 = 360.0;
const H: f64 = 260.0;
const PAD: f64 = 26.0;
/// Room kept at the bottom for the scale bar and the area.
const FOOT: f64 = 26.0;
/// About 20 m: a lone point or two close fixes do not fill the plot.
const MIN_SPAN_DEG: f64 = 0.0002;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The element id, for tests and for the label that names the site.
    pub id: AttrValue,
    pub boundary: Vec<GeoPoint>,
    /// The site's point (where it was found), when it reads.
    #[prop_or_default]
    pub point: Option<GeoPoint>,
    #[prop_or_default]
    pub walking: bool,
    pub lang: Lang,
}

#[function_component]
pub fn BoundaryPlot(p: &Props) -> Html {
    let l = p.lang;
    let all: Vec<GeoPoint> = p.boundary.iter().copied().chain(p.point).collect();
    let Some(fit) = PlotFit::new(&all, (W, H - FOOT), PAD, MIN_SPAN_DEG) else {
        return html! {};
    };
    let title = l.pick(
        "Sơ đồ ranh giới khu trồng (theo tọa độ, không phải bản đồ)",
        "Plot of the boundary (by coordinates, not a map)",
    );
    let ring = fit.svg_points(&p.boundary);
    let shape = if p.walking || p.boundary.len() < 3 {
        html! { <polyline class="walked open" points={ring} /> }
    } else {
        html! { <polygon class="walked" points={ring} /> }
    };
    let last = p.boundary.len().saturating_sub(1);
    let bar = fit.scale_bar(W / 5.0);
    let area = polygon_area_m2(&p.boundary);
    html! {
        <svg id={p.id.clone()} class="boundary-plot" viewBox={format!("0 0 {W} {H}")} role="img" aria-label={title}>
            <title>{ title }</title>
            <rect class="paper" width={W.to_string()} height={H.to_string()} />
            { shape }
            { for p.boundary.iter().enumerate().map(|(i, g)| {
                let (x, y) = fit.xy(*g);
                let class = if p.walking && i == last { "vertex current" } else { "vertex" };
                html! { <circle class={class} cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={if class == "vertex" { "4" } else { "8" }} /> }
            }) }
            if let Some(site) = p.point {
                { site_marker(fit.xy(site)) }
            }
            <g class="north">
                <text x={(W - PAD).to_string()} y={(PAD - 6.0).to_string()} text-anchor="middle">{ "▲" }</text>
                <text x={(W - PAD).to_string()} y={(PAD + 10.0).to_string()} text-anchor="middle">{ l.pick("Bắc", "N") }</text>
            </g>
            <g class="scale">
                <line x1={PAD.to_string()} x2={format!("{:.1}", PAD + bar.px)} y1={(H - 12.0).to_string()} y2={(H - 12.0).to_string()} />
                <text x={PAD.to_string()} y={(H - 18.0).to_string()}>{ bar.label(l) }</text>
            </g>
            if p.boundary.len() >= 3 {
                <text class="area" x={(W - PAD).to_string()} y={(H - 10.0).to_string()} text-anchor="end">{ ui::area(area) }</text>
            }
        </svg>
    }
}

/// The site's own point: a cross, apart from the walked points.
fn site_marker((x, y): (f64, f64)) -> Html {
    html! {
        <g class="site-point">
            <line x1={format!("{:.1}", x - 7.0)} x2={format!("{:.1}", x + 7.0)} y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
            <line x1={format!("{x:.1}")} x2={format!("{x:.1}")} y1={format!("{:.1}", y - 7.0)} y2={format!("{:.1}", y + 7.0)} />
        </g>
    }
}
