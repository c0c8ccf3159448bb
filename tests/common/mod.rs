//! The dashboard as a browser uses it, for the scenario tests that sign in
//! at the office.

use sotay_pcmt::TestHub;

/// The password the scenarios give their staff accounts.
pub const PASSWORD: &str = "mật khẩu văn phòng";

/// A signed-in browser: a session cookie, no redirects followed (their
/// targets are checked).
pub struct Office {
    pub http: reqwest::blocking::Client,
    pub url: String,
    pub cookie: String,
}

impl Office {
    pub fn sign_in(hub: &TestHub, username: &str) -> Self {
        let http = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let r = http
            .post(format!("{}/dashboard/login", hub.url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("username={username}&password={}", encode(PASSWORD)))
            .send()
            .unwrap();
        let cookie = r.headers()["set-cookie"].to_str().unwrap();
        Self {
            http,
            url: hub.url.clone(),
            cookie: cookie.split(';').next().unwrap().to_string(),
        }
    }

    pub fn get(&self, path: &str) -> String {
        let r = self.http.get(format!("{}{path}", self.url));
        r.header("cookie", &self.cookie)
            .send()
            .unwrap()
            .text()
            .unwrap()
    }

    /// Posts a form (`body` already encoded).
    pub fn post_form(&self, path: &str, body: &str) -> reqwest::blocking::Response {
        self.http
            .post(format!("{}{path}", self.url))
            .header("cookie", &self.cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_string())
            .send()
            .unwrap()
    }
}

/// A form value, percent-encoded.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A form field's value on a page (the token and the hex file need no
/// unescaping).
pub fn field(html: &str, name: &str) -> String {
    let needle = format!(r#"name="{name}" value=""#);
    let at = html.find(&needle).expect(name) + needle.len();
    html[at..].split('"').next().unwrap().to_string()
}
