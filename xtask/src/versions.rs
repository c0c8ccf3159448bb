//! Every tool version and system package the project sets up, in one place.
//! (Crate versions are pinned in the workspace Cargo.toml; wasm-bindgen-cli
//! follows the wasm-bindgen version in Cargo.lock.)

/// Trunk builds the Yew frontend. 0.22 needs a newer rustc than 1.95.
pub const TRUNK: &str = "0.21.14";
/// tauri-driver bridges WebDriver to WebKitWebDriver for end-to-end tests.
pub const TAURI_DRIVER: &str = "2.1.0";
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The tablets' Android target: the model and export crates are checked
/// for it on every test run (the rest needs the NDK's C compiler; see
/// docs/android.md).
pub const ANDROID_TARGET: &str = "aarch64-linux-android";
/// The Rust targets set up besides the host's.
pub const RUST_TARGETS: &[&str] = &[WASM_TARGET, ANDROID_TARGET];
/// The crates that must build for Android without the NDK.
pub const ANDROID_CHECKED: &[&str] = &["pcmt-model", "pcmt-export"];
/// wasm-opt shrinks the release frontend. The npm package `binaryen` (its
/// official build for Node) is the registry's way to a current one: Debian's
/// binaryen (v108) cannot read the wasm rustc 1.95 writes.
pub const BINARYEN: &str = "132.0.0";

/// Debian packages: Tauri's build and run dependencies, libcrypto's headers
/// for SQLCipher (rusqlite's `bundled-sqlcipher` builds SQLCipher and links
/// the system OpenSSL), the WebDriver for WebKitGTK, a virtual display,
/// screenshots, fonts with Vietnamese, Chromium with its WebDriver for the
/// hub dashboard's browser test, and the PostgreSQL server the hub's tests
/// and benchmark run against (a throwaway cluster each time; Debian's own
/// cluster is not used).
pub const DEBIAN_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    "webkit2gtk-driver",
    "xvfb",
    "xauth",
    "imagemagick",
    "fonts-noto-core",
    "chromium",
    "chromium-driver",
    "postgresql",
];

/// Node and npm, installed only when `npm` is not already on PATH (a Node
/// from another source, e.g. NodeSource, ships its own npm and conflicts
/// with Debian's).
pub const NPM_PACKAGES: &[&str] = &["nodejs", "npm"];
