//! The thin HTTP transport: one POST per request, postcard bodies.

use crate::sync::wire::{self, PullResponse, PushAck};
use crate::sync::{Request, Response, SyncError, Transport};
use std::time::Duration;

pub const PUSH_PATH: &str = "/sync/v1/push";
pub const PULL_PATH: &str = "/sync/v1/pull";

pub struct HttpTransport {
    base: String,
    client: reqwest::blocking::Client,
}

impl HttpTransport {
    pub fn new(base_url: &str) -> Result<Self, SyncError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        Ok(Self {
            base: base_url.trim_end_matches('/').to_string(),
            client,
        })
    }

    fn post(&self, path: &str, body: Vec<u8>) -> Result<Vec<u8>, SyncError> {
        let resp = self
            .client
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .map_err(|e| SyncError::Unreachable(e.to_string()))?;
        if !status.is_success() {
            return Err(SyncError::Refused {
                status: status.as_u16(),
                message: String::from_utf8_lossy(&bytes).chars().take(500).collect(),
            });
        }
        Ok(bytes.to_vec())
    }
}

impl Transport for HttpTransport {
    fn exchange(&mut self, request: &Request) -> Result<Response, SyncError> {
        match request {
            Request::Push(p) => {
                let body = self.post(PUSH_PATH, wire::encode(p)?)?;
                Ok(Response::Push(wire::decode::<PushAck>(&body)?))
            }
            Request::Pull(p) => {
                let body = self.post(PULL_PATH, wire::encode(p)?)?;
                Ok(Response::Pull(wire::decode::<PullResponse>(&body)?))
            }
        }
    }
}
