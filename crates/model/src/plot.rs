//! Points of the earth on a flat plot: the office's site plot and the
//! tablet's walked boundary are drawn by the same rules (no map tiles
//! exist offline, so both are plain plots with a north arrow and a scale
//! bar). Only the geometry lives here; each screen writes its own markup.

use crate::geometry::GeoPoint;
use crate::text::number;
use crate::Lang;

/// Metres per degree of latitude, near enough for a scale bar.
pub const METRES_PER_DEGREE: f64 = 111_320.0;

/// Steps people read at a glance: 1, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ.
const STEPS: [f64; 8] = [1.0, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0];

/// The smallest readable whole number at least `want` (and at least 1): an
/// axis step, a scale bar's length.
pub fn readable_step(want: f64) -> f64 {
    let want = if want.is_finite() { want.max(1.0) } else { 1.0 };
    let mut p = 10f64.powf(want.log10().floor());
    loop {
        if let Some(step) = STEPS
            .iter()
            .map(|m| m * p)
            .find(|s| *s >= want && s.fract() == 0.0)
        {
            return step;
        }
        p *= 10.0;
    }
}

/// Places points in a box: longitude shrunk by the cosine of the mean
/// latitude, so shapes keep their proportions; centred; one scale for both
/// axes; north up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlotFit {
    centre: GeoPoint,
    shrink: f64,
    scale: f64,
    size: (f64, f64),
}

/// A scale bar: a readable length and how long it is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScaleBar {
    pub metres: f64,
    pub px: f64,
}

impl ScaleBar {
    /// "200 m", "1,5 km".
    pub fn label(&self, lang: Lang) -> String {
        if self.metres >= 1000.0 {
            format!("{} km", number(self.metres / 1000.0, 1, lang))
        } else {
            format!("{} m", number(self.metres, 0, lang))
        }
    }
}

impl PlotFit {
    /// None without points. `pad` is kept free on every side; `min_span`
    /// (degrees) keeps a lone point, or two close ones, from filling the box.
    pub fn new(points: &[GeoPoint], size: (f64, f64), pad: f64, min_span: f64) -> Option<Self> {
        let first = points.first()?;
        let (mut lo, mut hi) = (*first, *first);
        for p in points {
            lo.lat = lo.lat.min(p.lat);
            lo.lon = lo.lon.min(p.lon);
            hi.lat = hi.lat.max(p.lat);
            hi.lon = hi.lon.max(p.lon);
        }
        let shrink = ((lo.lat + hi.lat) / 2.0).to_radians().cos();
        let span_x = ((hi.lon - lo.lon) * shrink).max(min_span);
        let span_y = (hi.lat - lo.lat).max(min_span);
        Some(Self {
            centre: GeoPoint {
                lat: (lo.lat + hi.lat) / 2.0,
                lon: (lo.lon + hi.lon) / 2.0,
            },
            shrink,
            scale: ((size.0 - 2.0 * pad) / span_x).min((size.1 - 2.0 * pad) / span_y),
            size,
        })
    }

    /// Where a point is drawn, in the box's pixels (y down).
    pub fn xy(&self, p: GeoPoint) -> (f64, f64) {
        (
            self.size.0 / 2.0 + (p.lon - self.centre.lon) * self.shrink * self.scale,
            self.size.1 / 2.0 - (p.lat - self.centre.lat) * self.scale,
        )
    }

    pub fn metres_per_px(&self) -> f64 {
        METRES_PER_DEGREE / self.scale
    }

    /// The scale bar of a readable length at least `min_px` long.
    pub fn scale_bar(&self, min_px: f64) -> ScaleBar {
        let metres = readable_step(self.metres_per_px() * min_px);
        ScaleBar {
            metres,
            px: metres / self.metres_per_px(),
        }
    }

    /// The points as an SVG `points` attribute.
    pub fn svg_points(&self, points: &[GeoPoint]) -> String {
        points
            .iter()
            .map(|p| {
                let (x, y) = self.xy(*p);
                format!("{x:.1},{y:.1}")
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 55 m × 44 m field near Đăk Pék: 0.0005° of longitude at 15.05° N
    /// is about 53.7 m, 0.0004° of latitude 44.5 m.
    fn field() -> Vec<GeoPoint> {
        [
            (15.0512, 107.7321),
            (15.0512, 107.7326),
            (15.0516, 107.7326),
            (15.0516, 107.7321),
        ]
        .into_iter()
        .map(|(lat, lon)| GeoPoint { lat, lon })
        .collect()
    }

    #[test]
    fn a_field_keeps_its_proportions_north_up_and_centred() {
        let fit = PlotFit::new(&field(), (300.0, 300.0), 20.0, 0.0).unwrap();
        let xy: Vec<(f64, f64)> = field().into_iter().map(|p| fit.xy(p)).collect();
        let width = xy[1].0 - xy[0].0;
        let height = xy[1].1 - xy[2].1;
        // The wider side fills the box less the padding.
        assert!((width - 260.0).abs() < 1e-6, "{width}");
        // 53.7 m across, 44.5 m up: the same ratio on the plot.
        let ratio = height / width;
        let expected = 0.0004 / (0.0005 * 15.0514f64.to_radians().cos());
        assert!((ratio - expected).abs() < 1e-3, "{ratio} vs {expected}");
        // North is up: the northern corners are drawn higher (smaller y).
        assert!(xy[2].1 < xy[1].1);
        let mid_x = (xy[0].0 + xy[1].0) / 2.0;
        assert!((mid_x - 150.0).abs() < 1e-6);
    }

    #[test]
    fn the_scale_bar_is_a_readable_length_drawn_to_scale() {
        let fit = PlotFit::new(&field(), (300.0, 300.0), 20.0, 0.0).unwrap();
        let bar = fit.scale_bar(60.0);
        // 60 px is about 12.4 m here (260 px for 53.7 m): 15 is not a step, 20 is.
        assert_eq!(bar.metres, 20.0);
        assert!((bar.px - 20.0 / fit.metres_per_px()).abs() < 1e-9);
        assert!(bar.px >= 60.0);
        assert_eq!(bar.label(Lang::Vi), "20 m");
        let far = ScaleBar {
            metres: 1500.0,
            px: 1.0,
        };
        assert_eq!(far.label(Lang::Vi), "1,5 km");
        assert_eq!(far.label(Lang::En), "1.5 km");
    }

    #[test]
    fn readable_steps_are_whole_and_never_below_what_is_wanted() {
        for (want, step) in [
            (0.2, 1.0),
            (1.0, 1.0),
            (2.2, 3.0),
            (7.0, 8.0),
            (12.4, 20.0),
            (260.0, 300.0),
            (f64::NAN, 1.0),
        ] {
            assert_eq!(readable_step(want), step, "{want}");
        }
    }

    #[test]
    fn no_points_no_plot_and_a_lone_point_gets_room() {
        assert_eq!(PlotFit::new(&[], (100.0, 100.0), 10.0, 0.001), None);
        let one = PlotFit::new(&field()[..1], (100.0, 100.0), 10.0, 0.001).unwrap();
        assert_eq!(one.xy(field()[0]), (50.0, 50.0));
        assert!(one.metres_per_px().is_finite());
    }
}
