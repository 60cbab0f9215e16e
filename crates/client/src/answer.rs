//! Reading the server's answers: a success passed on, an error turned into the client's
//! [`Error`] (with the server's wait on a 429), a JSON body parsed.

use reqwest::Response;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::retry::retry_after;

pub(crate) fn protocol(e: serde_json::Error) -> Error {
    Error::Protocol(e.to_string())
}

/// The answer if its status is a success, else the server's error.
pub(crate) async fn check(res: Response) -> Result<Response> {
    let status = res.status();
    if status.is_success() {
        return Ok(res);
    }
    let wait = retry_after(&res);
    let body = res.text().await.unwrap_or_default();
    Err(Error::from_answer(status, wait, &body))
}

/// The JSON of a successful answer.
pub(crate) async fn read_json<T: DeserializeOwned>(res: Response) -> Result<T> {
    let res = check(res).await?;
    let bytes = res.bytes().await?;
    serde_json::from_slice(&bytes).map_err(protocol)
}
