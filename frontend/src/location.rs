//! The tablet's position, from the webview's geolocation: one fix for a
//! point, or a stream of fixes while an officer walks a boundary. Reached
//! through `navigator.geolocation` by name, so a test can stand in for the
//! GPS by replacing it.

use pcmt_model::GeoPoint;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

fn geolocation() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::get(&navigator, &"geolocation".into())
        .ok()
        .filter(|g| !g.is_undefined() && !g.is_null())
}

fn method(target: &JsValue, name: &str) -> Option<js_sys::Function> {
    js_sys::Reflect::get(target, &name.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()
}

fn point_of(position: &JsValue) -> Option<GeoPoint> {
    let coords = js_sys::Reflect::get(position, &"coords".into()).ok()?;
    let num = |k: &str| js_sys::Reflect::get(&coords, &k.into()).ok()?.as_f64();
    Some(GeoPoint {
        lat: num("latitude")?,
        lon: num("longitude")?,
    })
}

fn options() -> JsValue {
    let o = js_sys::Object::new();
    // Best effort only: setting a plain property cannot fail on a fresh object.
    let _ = js_sys::Reflect::set(&o, &"enableHighAccuracy".into(), &true.into());
    let _ = js_sys::Reflect::set(&o, &"maximumAge".into(), &0.into());
    o.into()
}

/// Follows the position until the returned watch is dropped. `on_point` gets
/// each fix; `on_error` a reason when there is no GPS or it is refused.
pub struct Watch {
    id: Option<JsValue>,
    _ok: Closure<dyn FnMut(JsValue)>,
    _err: Closure<dyn FnMut(JsValue)>,
}

impl Watch {
    pub fn start(on_point: yew::Callback<GeoPoint>, on_error: yew::Callback<String>) -> Watch {
        let ok = Closure::<dyn FnMut(JsValue)>::new(move |pos: JsValue| {
            if let Some(p) = point_of(&pos) {
                on_point.emit(p);
            }
        });
        let on_error2 = on_error.clone();
        let err = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
            let msg = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_default();
            on_error2.emit(msg);
        });
        let id = geolocation().and_then(|g| {
            let f = method(&g, "watchPosition")?;
            f.call3(&g, ok.as_ref(), err.as_ref(), &options()).ok()
        });
        if id.is_none() {
            on_error.emit(String::new());
        }
        Watch {
            id,
            _ok: ok,
            _err: err,
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        if let (Some(id), Some(g)) = (&self.id, geolocation()) {
            if let Some(f) = method(&g, "clearWatch") {
                // Nothing to do if the webview already forgot the watch.
                let _ = f.call1(&g, id);
            }
        }
    }
}

/// One fix for a point.
pub fn once(on_point: yew::Callback<GeoPoint>, on_error: yew::Callback<String>) {
    let on_error2 = on_error.clone();
    let ok = Closure::once_into_js(move |pos: JsValue| match point_of(&pos) {
        Some(p) => on_point.emit(p),
        None => on_error2.emit(String::new()),
    });
    let on_error3 = on_error.clone();
    let err = Closure::once_into_js(move |e: JsValue| {
        let msg = js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_default();
        on_error3.emit(msg);
    });
    let asked = geolocation().and_then(|g| {
        let f = method(&g, "getCurrentPosition")?;
        f.call3(&g, &ok, &err, &options()).ok()
    });
    if asked.is_none() {
        on_error.emit(String::new());
    }
}
