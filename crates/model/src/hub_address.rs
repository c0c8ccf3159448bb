//! Where sync traffic may go: a hub's address must be `https://`, except
//! on this machine itself (loopback: the demo, the tests, a hub's own tools
//! on its server), where `http://` puts nothing on a network. One rule for
//! the settings form, the tablet's transport and a district hub's upward
//! sync, so what the screen accepts is what the transport will use.
//!
//! The check is deliberately narrow: an `http://` address passes only when
//! its host is written plainly as `localhost`, a dotted IPv4 address in
//! 127.0.0.0/8 or `[::1]`, with at most a port after it. Anything a URL
//! parser could read another way (user info before an `@`, shortened or
//! hexadecimal addresses, encoded characters) is refused, not interpreted.

use crate::validation::Problem;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `Ok` when `url` may carry sync traffic; `BadAddress` when it is not a
/// web address at all, `PlainHttp` when it is `http://` to another machine.
pub fn check_hub_address(url: &str) -> Result<(), Problem> {
    let (scheme, rest) = url.trim().split_once("://").ok_or(Problem::BadAddress)?;
    // Where the host and port end, for every parser: a path, a query, a
    // fragment, or a backslash (a path separator to browsers).
    let authority = rest.split(['/', '?', '#', '\\']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err(Problem::BadAddress);
    }
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok(()),
        "http" if is_loopback(authority) => Ok(()),
        "http" => Err(Problem::PlainHttp),
        _ => Err(Problem::BadAddress),
    }
}

/// `host[:port]` naming this machine, written plainly.
fn is_loopback(authority: &str) -> bool {
    // The host, and what follows it: nothing, or `:` and the port.
    let (host_ok, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((host, port)) => (
                host.parse::<Ipv6Addr>().is_ok_and(|a| a.is_loopback()),
                port,
            ),
            None => return false,
        },
        None => {
            let (host, port) = authority.split_at(authority.find(':').unwrap_or(authority.len()));
            let ok = host.eq_ignore_ascii_case("localhost")
                || host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback());
            (ok, port)
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_goes_anywhere_and_http_only_to_this_machine() {
        for ok in [
            "https://pcmt.dakglei.vn",
            "https://10.0.0.2:8787/",
            " HTTPS://hub.local ",
            "http://127.0.0.1:8787",
            "http://127.8.9.10",
            "http://localhost:8787/",
            "http://LOCALHOST",
            "http://[::1]:8787",
            "http://[0:0:0:0:0:0:0:1]/",
        ] {
            assert_eq!(check_hub_address(ok), Ok(()), "{ok}");
        }
        for plain in [
            "http://10.0.0.2:8787",
            "http://pcmt.dakglei.vn",
            "http://128.0.0.1",
            "http://0.0.0.0:8787",
            "http://[::]:8787",
            "http://[::ffff:127.0.0.1]",
            // Read by URL parsers as another host, or as this one only by
            // some: refused rather than guessed at.
            "http://127.0.0.1@evil.example",
            "http://localhost:80@evil.example/",
            "http://@127.0.0.1",
            "http://127.1",
            "http://0x7f.0.0.1",
            "http://2130706433",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "http://%6cocalhost",
            "http://127.0.0.1:",
            "http://127.0.0.1:80:80",
            "http://127.0.0.1:99999999",
            "http://[::1",
            "http://[::1]x",
        ] {
            assert_eq!(check_hub_address(plain), Err(Problem::PlainHttp), "{plain}");
        }
        for bad in [
            "",
            "10.0.0.2:8787",
            "https://",
            "http:///x",
            "ftp://10.0.0.2",
            "file:///etc",
        ] {
            assert_eq!(check_hub_address(bad), Err(Problem::BadAddress), "{bad}");
        }
    }
}
