//! Text for HTML pages and links: escaping, numbers in the reader's
//! language, percent-encoding, and the language a request asks for.

use pcmt_model::Lang;

/// Escapes text for HTML content and attribute values.
/// What an administrator's last action did, said once at the top of the
/// page it led back to (`inner` is HTML, escaped by the caller).
pub(super) fn done(inner: &str) -> String {
    format!(r#"<p class="done" id="done" role="status">{inner}</p>"#)
}

pub(super) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(super) use pcmt_model::text::number;

/// Percent-encodes everything but RFC 3986's unreserved characters: for
/// query strings and RFC 5987 file names alike.
pub(super) fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Vietnam keeps one time zone and no daylight saving: times read as the
/// office reads its clock, wherever the hub's server runs.
pub(super) fn vietnam() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The page language a request asks for: Vietnamese unless `en`.
pub(super) fn lang_of(code: Option<&str>) -> Lang {
    match code {
        Some("en") => Lang::En,
        _ => Lang::Vi,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_and_queries_are_percent_encoded_as_utf8() {
        assert_eq!(percent_encode("Đăk Pék"), "%C4%90%C4%83k%20P%C3%A9k");
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
