//! Sites found, for GIS tools: each site as a point, and each walked
//! boundary as a polygon, with what the office files about the site as
//! properties (GeoJSON) or extended data (KML).

use crate::ExportError;
use geojson::{Feature, FeatureCollection, Geometry};
use kml::types::{Coord, Element, Geometry as KmlGeometry, LinearRing, Placemark, Point, Polygon};
use kml::{Kml, KmlDocument, KmlVersion, KmlWriter};
use pcmt_model::report::SiteFeature;
use pcmt_model::{closed_ring, GeoPoint, Labelled, Lang};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// What a GIS user needs to filter and label sites by: codes (stable) and
/// Vietnamese labels, counts, dates and the walked area in m².
fn properties(site: &SiteFeature) -> Map<String, Value> {
    let mut p = Map::new();
    p.insert("survey".into(), json!(site.survey.to_string()));
    p.insert("site".into(), json!(site.index));
    p.insert("date".into(), json!(site.date.to_string()));
    p.insert("commune".into(), json!(site.commune));
    p.insert("species".into(), json!(site.species.code()));
    p.insert("species_vi".into(), json!(site.species.label(Lang::Vi)));
    p.insert("plants".into(), json!(site.plant_count));
    p.insert("action".into(), json!(site.action.code()));
    p.insert("action_date".into(), json!(site.action_date.to_string()));
    p.insert("replanting".into(), json!(site.replanting));
    if let Some(a) = site.area_m2 {
        p.insert("area_m2".into(), json!(a));
    }
    p
}

fn feature(geometry: Geometry, kind: &str, site: &SiteFeature) -> Feature {
    let mut props = properties(site);
    props.insert("geometry_kind".into(), json!(kind));
    Feature {
        geometry: Some(geometry),
        properties: Some(props),
        ..Feature::default()
    }
}

/// GeoJSON positions are longitude first (RFC 7946 §3.1.1).
fn position(p: GeoPoint) -> [f64; 2] {
    [p.lon, p.lat]
}

/// A FeatureCollection: a Point feature per site, and a Polygon feature per
/// walked boundary (ring closed, as RFC 7946 requires).
pub fn geojson(sites: &[SiteFeature]) -> Result<String, ExportError> {
    let mut features = Vec::new();
    for site in sites {
        features.push(feature(
            Geometry::new_point(position(site.point)),
            "point",
            site,
        ));
        if let Some(boundary) = &site.polygon {
            let ring: Vec<[f64; 2]> = closed_ring(boundary).into_iter().map(position).collect();
            features.push(feature(Geometry::new_polygon([ring]), "polygon", site));
        }
    }
    Ok(serde_json::to_string(&FeatureCollection::new(features))?)
}

fn coord(p: GeoPoint) -> Coord {
    Coord {
        x: p.lon,
        y: p.lat,
        z: None,
    }
}

/// `<ExtendedData><Data name="…"><value>…</value></Data>…`.
fn extended_data(site: &SiteFeature) -> Element {
    let children = properties(site)
        .into_iter()
        .map(|(name, v)| Element {
            name: "Data".into(),
            attrs: HashMap::from([("name".to_string(), name)]),
            content: None,
            children: vec![Element {
                name: "value".into(),
                content: Some(match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                }),
                ..Element::default()
            }],
        })
        .collect();
    Element {
        name: "ExtendedData".into(),
        children,
        ..Element::default()
    }
}

fn placemark(name: String, geometry: KmlGeometry, site: &SiteFeature) -> Kml {
    Kml::Placemark(Placemark {
        name: Some(name),
        description: None,
        geometry: Some(geometry),
        style_url: None,
        attrs: HashMap::new(),
        children: vec![extended_data(site)],
    })
}

/// A KML document named `title`: a placemark per site point and one per
/// walked boundary, with the same properties as the GeoJSON.
pub fn kml(sites: &[SiteFeature], title: &str) -> Result<Vec<u8>, ExportError> {
    let mut elements = vec![Kml::Element(Element {
        name: "name".into(),
        content: Some(title.into()),
        ..Element::default()
    })];
    for site in sites {
        // Named in Vietnamese, like the properties' labels: the file goes
        // to the office's GIS staff.
        let name = format!(
            "{} — {} cây",
            site.species.label(Lang::Vi),
            site.plant_count
        );
        let point = KmlGeometry::Point(Point::from(coord(site.point)));
        elements.push(placemark(name.clone(), point, site));
        if let Some(boundary) = &site.polygon {
            let ring = LinearRing::from(
                closed_ring(boundary)
                    .into_iter()
                    .map(coord)
                    .collect::<Vec<_>>(),
            );
            let polygon = KmlGeometry::Polygon(Polygon::new(ring, vec![]));
            elements.push(placemark(format!("{name} (ranh giới)"), polygon, site));
        }
    }
    let doc = Kml::KmlDocument(KmlDocument {
        version: KmlVersion::V22,
        attrs: HashMap::from([(
            "xmlns".to_string(),
            "http://www.opengis.net/kml/2.2".to_string(),
        )]),
        elements: vec![Kml::Document {
            attrs: HashMap::new(),
            elements,
        }],
    });
    let mut out = br#"<?xml version="1.0" encoding="UTF-8"?>"#.to_vec();
    out.push(b'\n');
    KmlWriter::from_writer(&mut out).write(&doc)?;
    Ok(out)
}
