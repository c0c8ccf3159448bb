//! The Android/iOS position path (frontend/geolocation.js) in a real
//! browser: Debian's Chromium, headless, with a stand-in for Tauri's
//! geolocation plugin where the mobile app has the real one. This machine
//! has no Android device or emulator; what can be checked here is that the
//! screens' `navigator.geolocation` calls reach the plugin as they should
//! (permission asked first, a refusal reported as one, a watch cleared at
//! the plugin) and that without the plugin (the desktop) the WebView's own
//! geolocation is left alone. Run by `cargo xtask test`.

use serde_json::{json, Value};
use sotay_pcmt::e2e::AppWindow;

const SHIM: &str = include_str!("../frontend/geolocation.js");

/// A page with a stand-in plugin (`permission`: what the system answers
/// when asked) or none, then the shim, as the app loads it.
fn page(dir: &std::path::Path, name: &str, permission: Option<&str>) -> String {
    let plugin = match permission {
        None => String::new(),
        Some(answer) => format!(
            r#"<script>
window.calls = [];
window.watchers = {{}};
window.__TAURI__ = {{ geolocation: {{
  checkPermissions: () => {{ calls.push("check"); return Promise.resolve({{ location: "prompt" }}); }},
  requestPermissions: (p) => {{ calls.push("request " + p.join(",")); return Promise.resolve({{ location: "{answer}" }}); }},
  getCurrentPosition: (o) => {{ calls.push("current " + o.enableHighAccuracy);
    return Promise.resolve({{ timestamp: 1, coords: {{ latitude: 15.1, longitude: 107.73, accuracy: 5 }} }}); }},
  watchPosition: (o, cb) => {{ calls.push("watch"); watchers[7] = cb; return Promise.resolve(7); }},
  clearWatch: (id) => {{ calls.push("clear " + id); delete watchers[id]; return Promise.resolve(); }},
}} }};
</script>"#
        ),
    };
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=utf-8>{plugin}\
         <script>window.webGeolocation = navigator.geolocation;</script>\
         <script>{SHIM}</script></head><body></body></html>"
    );
    let path = dir.join(format!("{name}.html"));
    std::fs::write(&path, html).unwrap();
    format!("file://{}", path.display())
}

async fn run(browser: &AppWindow, script: &str) -> Value {
    browser
        .client
        .execute_async(script, vec![])
        .await
        .expect("the script answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "drives headless Chromium; run by `cargo xtask test`"]
async fn the_mobile_position_goes_through_the_plugin_and_the_desktop_keeps_the_webviews() {
    let dir = tempfile::tempdir().unwrap();
    let browser = AppWindow::chromium(&dir.path().join("browser")).await;
    let c = &browser.client;

    // Granted: one fix, asked for the permission first.
    c.goto(&page(dir.path(), "granted", Some("granted")))
        .await
        .unwrap();
    let fix = run(
        &browser,
        r#"const done = arguments[arguments.length - 1];
           navigator.geolocation.getCurrentPosition(
             p => done({ lat: p.coords.latitude, lon: p.coords.longitude, calls }),
             e => done({ error: e.code, calls }),
             { enableHighAccuracy: true, maximumAge: 0 });"#,
    )
    .await;
    assert_eq!(
        fix,
        json!({ "lat": 15.1, "lon": 107.73, "calls": ["check", "request location", "current true"] })
    );

    // A watch while walking a boundary: each fix arrives, and clearing the
    // watch clears the plugin's; a fix after that is not delivered.
    let walked = run(
        &browser,
        r#"const done = arguments[arguments.length - 1];
           const got = [];
           const id = navigator.geolocation.watchPosition(p => got.push(p.coords.latitude), e => got.push("error"));
           setTimeout(() => {
             watchers[7]({ coords: { latitude: 1, longitude: 2 } });
             watchers[7]({ coords: { latitude: 3, longitude: 4 } });
             const late = watchers[7];
             navigator.geolocation.clearWatch(id);
             late({ coords: { latitude: 5, longitude: 6 } });
             setTimeout(() => done({ got, calls }), 50);
           }, 50);"#,
    )
    .await;
    assert_eq!(
        walked,
        json!({ "got": [1, 3], "calls": ["check", "request location", "current true", "watch", "clear 7"] })
    );

    // Refused: the screen hears a refusal (code 1), and no position is read.
    c.goto(&page(dir.path(), "refused", Some("denied")))
        .await
        .unwrap();
    let refused = run(
        &browser,
        r#"const done = arguments[arguments.length - 1];
           navigator.geolocation.getCurrentPosition(
             p => done({ lat: p.coords.latitude, calls }),
             e => done({ error: e.code, calls }));"#,
    )
    .await;
    assert_eq!(
        refused,
        json!({ "error": 1, "calls": ["check", "request location"] })
    );

    // The desktop: no plugin, the WebView's own geolocation stays.
    c.goto(&page(dir.path(), "desktop", None)).await.unwrap();
    let same = run(
        &browser,
        r#"arguments[arguments.length - 1](navigator.geolocation === window.webGeolocation);"#,
    )
    .await;
    assert_eq!(same, json!(true));
    browser.close().await;
}
