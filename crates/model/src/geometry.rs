//! GPS points and walked boundaries of drug-plant sites: where a point may
//! lie, whether a boundary is a usable polygon, and its area on the WGS 84
//! ellipsoid.
//!
//! A boundary is stored as walked. Its ring is closed implicitly: a last
//! point equal to the first is accepted and ignored, so a form can send the
//! boundary while the officer is still walking it and the area grows on
//! screen. Use [`closed_ring`] where a format wants the first point repeated
//! (GeoJSON, KML).

use crate::validation::Problem;
use geographiclib_rs::{Geodesic, PolygonArea, Winding};
use serde::{Deserialize, Serialize};

/// A WGS 84 position in decimal degrees, as a tablet's GPS gives it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

/// A latitude/longitude box, bounds included.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLonBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_lon: f64,
    pub max_lon: f64,
}

/// Mainland Vietnam with a margin of a few kilometres: Lũng Cú (23.39° N) to
/// Mũi Cà Mau (8.6° N), Apachai (102.14° E) to Mũi Đôi (109.46° E), plus Côn
/// Đảo and Phú Quốc. A point outside is almost always a GPS or typing error
/// (swapped latitude and longitude, a missing digit); offshore islands need
/// the site's confirmation flag.
pub const VIETNAM_BOX: LatLonBox = LatLonBox {
    min_lat: 8.0,
    max_lat: 23.5,
    min_lon: 102.0,
    max_lon: 110.0,
};

/// A boundary needs this many distinct points to enclose anything.
pub const MIN_POLYGON_POINTS: usize = 3;

impl GeoPoint {
    /// Finite and on the globe.
    pub fn is_valid(self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }

    pub fn is_in(self, area: &LatLonBox) -> bool {
        (area.min_lat..=area.max_lat).contains(&self.lat)
            && (area.min_lon..=area.max_lon).contains(&self.lon)
    }
}

/// A point's problem, if any: off the globe, or outside Vietnam without the
/// officer's confirmation.
pub(crate) fn location_problem(p: GeoPoint, outside_confirmed: bool) -> Option<Problem> {
    if !p.is_valid() {
        Some(Problem::NotACoordinate)
    } else if !outside_confirmed && !p.is_in(&VIETNAM_BOX) {
        Some(Problem::OutsideVietnam)
    } else {
        None
    }
}

/// A walked boundary's problem, if any, most basic first.
pub(crate) fn polygon_problem(points: &[GeoPoint], outside_confirmed: bool) -> Option<Problem> {
    if let Some(p) = points.iter().find_map(|p| location_problem(*p, true)) {
        return Some(p);
    }
    let ring = ring(points);
    if distinct_count(&ring) < MIN_POLYGON_POINTS {
        return Some(Problem::TooFewPoints {
            min: MIN_POLYGON_POINTS,
        });
    }
    if self_intersects(&ring) {
        return Some(Problem::SelfIntersecting);
    }
    points
        .iter()
        .find_map(|p| location_problem(*p, outside_confirmed))
}

/// The area enclosed by a boundary in square metres, on the WGS 84
/// ellipsoid, with Karney's algorithm (C. F. F. Karney, "Algorithms for
/// geodesics", J. Geodesy 87, 43–55, 2013, via `geographiclib-rs`).
///
/// Works on a boundary still being walked (closed implicitly), in either
/// direction; fewer than three points, or a point off the globe, give 0.
pub fn polygon_area_m2(points: &[GeoPoint]) -> f64 {
    let ring = ring(points);
    if ring.len() < MIN_POLYGON_POINTS || !ring.iter().all(|p| p.is_valid()) {
        return 0.0;
    }
    let wgs84 = Geodesic::wgs84();
    let mut area = PolygonArea::new(&wgs84, Winding::CounterClockwise);
    for p in &ring {
        area.add_point(p.lat, p.lon);
    }
    // Signed, then absolute: the unsigned form reads a clockwise walk as the
    // rest of the Earth. Sites are far smaller than a hemisphere.
    let (_perimeter, signed, _count) = area.compute(true);
    signed.abs()
}

/// The boundary as a closed ring, first point repeated last, for formats
/// that require it (GeoJSON, KML).
pub fn closed_ring(points: &[GeoPoint]) -> Vec<GeoPoint> {
    let mut ring = ring(points);
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    ring
}

/// The walked points without GPS stutter (the same fix twice in a row) and
/// without a closing point, so each edge has length and appears once.
fn ring(points: &[GeoPoint]) -> Vec<GeoPoint> {
    let mut ring: Vec<GeoPoint> = Vec::with_capacity(points.len());
    for p in points {
        if ring.last() != Some(p) {
            ring.push(*p);
        }
    }
    while ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring
}

fn distinct_count(ring: &[GeoPoint]) -> usize {
    ring.iter()
        .enumerate()
        .filter(|(i, p)| !ring[..*i].contains(p))
        .count()
}

/// Whether any two edges of the ring touch other than where consecutive edges
/// meet. Edges are straight in longitude/latitude: at field-plot size the
/// difference from a geodesic is far below GPS error.
fn self_intersects(ring: &[GeoPoint]) -> bool {
    let n = ring.len();
    let edge = |i: usize| (ring[i], ring[(i + 1) % n]);
    (0..n).any(|i| {
        let (a, b) = edge(i);
        let (_, c) = edge((i + 1) % n);
        // Consecutive edges share b; they overlap only if the walk turns
        // straight back on itself (a spike).
        if orient(a, b, c) == 0.0 && dot(a, b, c) > 0.0 {
            return true;
        }
        // Edge n-1 is consecutive to edge 0 through the closing point.
        let last = if i == 0 { n - 1 } else { n };
        (i + 2..last).any(|j| {
            let (p, q) = edge(j);
            segments_touch(a, b, p, q)
        })
    })
}

/// The sign of the turn a → b → c: positive left, negative right, 0 straight.
fn orient(a: GeoPoint, b: GeoPoint, c: GeoPoint) -> f64 {
    (b.lon - a.lon) * (c.lat - a.lat) - (b.lat - a.lat) * (c.lon - a.lon)
}

/// Positive when a and c lie on the same side of b along the line.
fn dot(a: GeoPoint, b: GeoPoint, c: GeoPoint) -> f64 {
    (a.lon - b.lon) * (c.lon - b.lon) + (a.lat - b.lat) * (c.lat - b.lat)
}

fn within_box(p: GeoPoint, a: GeoPoint, b: GeoPoint) -> bool {
    p.lon >= a.lon.min(b.lon)
        && p.lon <= a.lon.max(b.lon)
        && p.lat >= a.lat.min(b.lat)
        && p.lat <= a.lat.max(b.lat)
}

fn segments_touch(a: GeoPoint, b: GeoPoint, c: GeoPoint, d: GeoPoint) -> bool {
    let (d1, d2) = (orient(c, d, a), orient(c, d, b));
    let (d3, d4) = (orient(a, b, c), orient(a, b, d));
    let crosses = |x: f64, y: f64| (x > 0.0 && y < 0.0) || (x < 0.0 && y > 0.0);
    (crosses(d1, d2) && crosses(d3, d4))
        || (d1 == 0.0 && within_box(a, c, d))
        || (d2 == 0.0 && within_box(b, c, d))
        || (d3 == 0.0 && within_box(c, a, b))
        || (d4 == 0.0 && within_box(d, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::fixtures::square;

    fn within(actual: f64, expected: f64, relative: f64) -> bool {
        ((actual - expected) / expected).abs() <= relative
    }

    // Near Đăk Glei, Kon Tum.
    const KON_TUM: (f64, f64) = (15.05, 107.73);

    #[test]
    fn a_hundred_metre_square_in_kon_tum_is_a_hectare() {
        let sq = square(KON_TUM.0, KON_TUM.1, 100.0);
        let area = polygon_area_m2(&sq);
        assert!(within(area, 10_000.0, 0.005), "{area}");
    }

    #[test]
    fn a_kilometre_square_is_a_square_kilometre() {
        let sq = square(KON_TUM.0, KON_TUM.1, 1000.0);
        let area = polygon_area_m2(&sq);
        assert!(within(area, 1_000_000.0, 0.005), "{area}");
    }

    #[test]
    fn a_one_degree_cell_on_the_equator_matches_geographiclib() {
        // The reference value from GeographicLib's documentation.
        let cell = [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)]
            .map(|(lat, lon)| GeoPoint { lat, lon });
        assert!(within(polygon_area_m2(&cell), 12_308_778_361.469_452, 1e-9));
    }

    #[test]
    fn area_ignores_direction_closing_point_and_stutter() {
        let sq = square(KON_TUM.0, KON_TUM.1, 100.0);
        let area = polygon_area_m2(&sq);
        let mut clockwise = sq.clone();
        clockwise.reverse();
        assert!(within(polygon_area_m2(&clockwise), area, 1e-9));
        let mut closed = sq.clone();
        closed.push(sq[0]);
        assert!(within(polygon_area_m2(&closed), area, 1e-9));
        let stutter = vec![sq[0], sq[1], sq[1], sq[2], sq[3], sq[3]];
        assert!(within(polygon_area_m2(&stutter), area, 1e-9));
    }

    #[test]
    fn area_grows_as_the_boundary_is_walked() {
        let sq = square(KON_TUM.0, KON_TUM.1, 100.0);
        assert_eq!(polygon_area_m2(&[]), 0.0);
        assert_eq!(polygon_area_m2(&sq[..2]), 0.0);
        // Three corners walked: the triangle closed back to the start.
        let half = polygon_area_m2(&sq[..3]);
        assert!(within(half, 5_000.0, 0.005), "{half}");
        assert!(polygon_area_m2(&sq) > half);
        let broken = [
            sq[0],
            sq[1],
            GeoPoint {
                lat: f64::NAN,
                lon: 1.0,
            },
        ];
        assert_eq!(polygon_area_m2(&broken), 0.0);
    }

    #[test]
    fn closed_ring_repeats_the_first_point_once() {
        let sq = square(KON_TUM.0, KON_TUM.1, 100.0);
        let ring = closed_ring(&sq);
        assert_eq!(ring.len(), 5);
        assert_eq!(ring[0], ring[4]);
        assert_eq!(closed_ring(&ring), ring);
        assert_eq!(closed_ring(&[]), vec![]);
    }

    #[test]
    fn a_simple_boundary_in_either_direction_is_valid() {
        let sq = square(KON_TUM.0, KON_TUM.1, 100.0);
        assert_eq!(polygon_problem(&sq, false), None);
        let mut closed = sq.clone();
        closed.push(sq[0]);
        closed.reverse();
        assert_eq!(polygon_problem(&closed, false), None);
        // A concave L shape is fine too.
        let p = |lat: f64, lon: f64| GeoPoint { lat, lon };
        let l_shape = [
            p(15.0, 107.0),
            p(15.0, 107.002),
            p(15.001, 107.002),
            p(15.001, 107.001),
            p(15.002, 107.001),
            p(15.002, 107.0),
        ];
        assert_eq!(polygon_problem(&l_shape, false), None);
    }

    #[test]
    fn a_boundary_needs_three_distinct_points() {
        let sq = square(KON_TUM.0, KON_TUM.1, 100.0);
        let too_few = Some(Problem::TooFewPoints { min: 3 });
        assert_eq!(polygon_problem(&sq[..2], false), too_few);
        assert_eq!(polygon_problem(&[sq[0], sq[1], sq[0]], false), too_few);
        assert_eq!(
            polygon_problem(&[sq[0], sq[1], sq[1], sq[1]], false),
            too_few
        );
    }

    #[test]
    fn a_boundary_that_crosses_or_touches_itself_is_refused() {
        let sq = square(KON_TUM.0, KON_TUM.1, 100.0);
        let bow_tie = [sq[0], sq[1], sq[3], sq[2]];
        assert_eq!(
            polygon_problem(&bow_tie, false),
            Some(Problem::SelfIntersecting)
        );
        // Three points on one line enclose nothing: the walk doubles back.
        let mid = GeoPoint {
            lat: sq[0].lat,
            lon: (sq[0].lon + sq[1].lon) / 2.0,
        };
        assert_eq!(
            polygon_problem(&[sq[0], mid, sq[1]], false),
            Some(Problem::SelfIntersecting)
        );
        // Passing through an earlier corner again.
        let figure_eight = [sq[0], sq[1], sq[2], sq[0], sq[3], mid];
        assert_eq!(
            polygon_problem(&figure_eight, false),
            Some(Problem::SelfIntersecting)
        );
        // A spike: out along the edge and straight back.
        let spike = [sq[0], sq[1], mid, sq[2], sq[3]];
        assert_eq!(
            polygon_problem(&spike, false),
            Some(Problem::SelfIntersecting)
        );
    }

    #[test]
    fn points_must_be_on_the_globe_and_in_vietnam_unless_confirmed() {
        let hanoi = GeoPoint {
            lat: 21.03,
            lon: 105.85,
        };
        // Latitude and longitude swapped: a typical typing error.
        let swapped = GeoPoint {
            lat: 105.85,
            lon: 21.03,
        };
        let vientiane = GeoPoint {
            lat: 17.97,
            lon: 102.6,
        };
        let bangkok = GeoPoint {
            lat: 13.75,
            lon: 100.5,
        };
        assert_eq!(location_problem(hanoi, false), None);
        assert_eq!(
            location_problem(swapped, true),
            Some(Problem::NotACoordinate)
        );
        assert_eq!(
            location_problem(bangkok, false),
            Some(Problem::OutsideVietnam)
        );
        assert_eq!(location_problem(bangkok, true), None);
        // The box is a box: Vientiane lies inside it; only gross errors are caught.
        assert_eq!(location_problem(vientiane, false), None);
        let nan = GeoPoint {
            lat: f64::NAN,
            lon: 105.0,
        };
        assert_eq!(location_problem(nan, true), Some(Problem::NotACoordinate));
    }

    #[test]
    fn a_boundary_outside_vietnam_needs_the_confirmation() {
        let laos = square(19.9, 101.5, 100.0);
        assert_eq!(polygon_problem(&laos, false), Some(Problem::OutsideVietnam));
        assert_eq!(polygon_problem(&laos, true), None);
        let mut broken = square(KON_TUM.0, KON_TUM.1, 100.0);
        broken[2].lon = f64::INFINITY;
        assert_eq!(
            polygon_problem(&broken, true),
            Some(Problem::NotACoordinate)
        );
    }
}
