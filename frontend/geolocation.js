// On an Android or iOS build the app carries Tauri's geolocation plugin,
// whose global API (window.__TAURI__.geolocation, injected before this
// page's scripts) asks the system for the location permission and reads
// the GPS; the mobile WebViews give pages no position of their own. The
// screens reach the position through navigator.geolocation by name
// (frontend/src/location.rs), so the plugin is put behind that interface
// here. On the desktop the plugin is not built in and the WebView's own
// geolocation stays. Tested in Chromium against a stand-in plugin
// (tests/mobile_geolocation.rs).
(function () {
  var tauri = window.__TAURI__;
  var plugin = tauri && tauri.geolocation;
  if (!plugin) {
    return;
  }
  function options(o) {
    return {
      enableHighAccuracy: !!(o && o.enableHighAccuracy),
      timeout: (o && o.timeout) || 10000,
      maximumAge: (o && o.maximumAge) || 0,
    };
  }
  // The shape of a web GeolocationPositionError: 1 refused, 2 unavailable.
  function failure(e) {
    if (e && e.code === 1) {
      return e;
    }
    return { code: 2, message: String((e && e.message) || e || "") };
  }
  var asked = null;
  // Asked once per start of the app; asked again after a refusal, when the
  // officer tries again.
  function permission() {
    if (!asked) {
      asked = plugin
        .checkPermissions()
        .then(function (s) {
          return s.location === "granted" ? s : plugin.requestPermissions(["location"]);
        })
        .then(function (s) {
          if (!s || s.location !== "granted") {
            asked = null;
            throw { code: 1, message: "location permission refused" };
          }
        });
    }
    return asked;
  }
  var watches = new Map();
  var next = 1;
  var shim = {
    getCurrentPosition: function (ok, err, o) {
      permission()
        .then(function () {
          return plugin.getCurrentPosition(options(o));
        })
        .then(ok, function (e) {
          if (err) err(failure(e));
        });
    },
    watchPosition: function (ok, err, o) {
      var id = next++;
      var channel = permission()
        .then(function () {
          return plugin.watchPosition(options(o), function (pos, e) {
            if (!watches.has(id)) return;
            if (pos) ok(pos);
            else if (err) err(failure(e));
          });
        })
        .catch(function (e) {
          if (err) err(failure(e));
          return null;
        });
      watches.set(id, channel);
      return id;
    },
    clearWatch: function (id) {
      var channel = watches.get(id);
      watches.delete(id);
      if (channel) {
        channel.then(function (c) {
          if (c !== null && c !== undefined) plugin.clearWatch(c);
        });
      }
    },
  };
  Object.defineProperty(navigator, "geolocation", { value: shim, configurable: true });
})();
