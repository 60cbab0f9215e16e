//! Retrying a request the server refused with 429: wait what `Retry-After` says (or an
//! exponential backoff when it says nothing), plus jitter so that many clients refused together
//! do not come back together.

use std::time::Duration;

use rand::Rng;
use reqwest::{RequestBuilder, Response, StatusCode};

use crate::clock::Clock;
use crate::error::Result;

/// How 429 answers are retried.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The first wait when the server gives no `Retry-After`; doubled each time.
    pub backoff: Duration,
    /// No single wait is longer.
    pub max_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_retries: 4,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(120),
        }
    }
}

impl Retry {
    /// Sends the request `build` makes, again after each 429 until the retries are spent; the
    /// last answer is returned whatever it is.
    pub async fn send(
        &self,
        clock: &dyn Clock,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response> {
        let mut attempt = 0;
        loop {
            let res = build().send().await?;
            if res.status() != StatusCode::TOO_MANY_REQUESTS || attempt >= self.max_retries {
                return Ok(res);
            }
            let wait = self.wait(attempt, retry_after(&res));
            tracing::info!(
                wait_ms = wait.as_millis() as u64,
                attempt,
                "the server asked to slow down (429); retrying"
            );
            clock.sleep(wait).await;
            attempt += 1;
        }
    }

    /// The wait before retry `attempt`: `Retry-After` (or the backoff), plus up to a quarter of
    /// it (at least 100 ms) at random.
    pub fn wait(&self, attempt: u32, retry_after: Option<u64>) -> Duration {
        let base = match retry_after {
            Some(secs) => Duration::from_secs(secs),
            None => self.backoff.saturating_mul(1 << attempt.min(16)),
        }
        .min(self.max_wait);
        let spread = (base / 4).max(Duration::from_millis(100));
        let jitter = rand::rng().random_range(Duration::ZERO..=spread);
        (base + jitter).min(self.max_wait.max(base))
    }
}

/// The `Retry-After` of an answer, in seconds (the delay form; an HTTP date is not used here).
pub(crate) fn retry_after(res: &Response) -> Option<u64> {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_is_retry_after_plus_bounded_jitter() {
        let retry = Retry::default();
        for _ in 0..200 {
            let w = retry.wait(0, Some(7));
            assert!(
                w >= Duration::from_secs(7) && w <= Duration::from_millis(8750),
                "{w:?}"
            );
        }
        // Without Retry-After: exponential, capped.
        let w = retry.wait(3, None);
        assert!(
            w >= Duration::from_secs(4) && w <= Duration::from_secs(5),
            "{w:?}"
        );
        assert!(retry.wait(30, None) <= retry.max_wait);
        assert!(retry.wait(0, Some(100_000)) <= retry.max_wait);
    }
}
