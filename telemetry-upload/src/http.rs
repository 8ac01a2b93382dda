//! The two requests of an upload run, over HTTPS with rustls (plain `http://` only to a
//! loopback address, for tests and a collector on the same machine). Proxy variables
//! (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, …) are honoured. Every request has a total
//! time limit, no redirect is followed, and answers are read with a size cap: a
//! collector can make an upload fail, never hang or flood it.

use std::net::IpAddr;
use std::time::Duration;

/// The longest answer read: a config or a receipt is far smaller.
pub const MAX_ANSWER: u64 = 1 << 20;

/// What the collector answered.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body, at most [`MAX_ANSWER`] bytes.
    pub body: Vec<u8>,
    /// The `Retry-After` header, as sent (at most 64 bytes of text), if any.
    pub retry_after: Option<String>,
}

/// Checks that `url` may be used: `https://…`, or `http://` to a loopback address.
pub fn check_url(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!("{url:?} is neither https:// nor http://"));
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if loopback {
        Ok(())
    } else {
        Err(format!(
            "{url:?}: plain http:// is only for a collector on this machine; use https://"
        ))
    }
}

fn agent(limit: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(limit))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent("transparent-telemetry")
        .build();
    ureq::Agent::new_with_config(config)
}

fn read(mut response: ureq::http::Response<ureq::Body>) -> Result<Answer, String> {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 64)
        .map(|v| v.trim().to_string());
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
        .map_err(|e| format!("the answer could not be read: {e}"))?;
    Ok(Answer {
        status,
        body,
        retry_after,
    })
}

/// `GET <base>/config`.
pub fn get_config(base: &str, limit: Duration) -> Result<Answer, String> {
    check_url(base)?;
    let url = format!("{}/config", base.trim_end_matches('/'));
    let response = agent(limit)
        .get(&url)
        .call()
        .map_err(|e| format!("GET {url}: {e}"))?;
    read(response)
}

/// `POST <base>/upload/<week>` with the report's exact bytes.
pub fn post_report(base: &str, week: &str, body: &[u8], limit: Duration) -> Result<Answer, String> {
    check_url(base)?;
    let url = format!("{}/upload/{week}", base.trim_end_matches('/'));
    let response = agent(limit)
        .post(&url)
        .header("content-type", "application/json")
        .send(body)
        .map_err(|e| format!("POST {url}: {e}"))?;
    read(response)
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "https://telemetry.example.org",
            "http://127.0.0.1:8080",
            "http://localhost:1/x",
            "http://[::1]:9",
            "http://127.3.2.1",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://telemetry.example.org",
            "http://10.0.0.1:80",
            "http://127.0.0.1.example.org",
            "ftp://x",
            "file:///etc/passwd",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
