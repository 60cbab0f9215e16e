//! Server-sent events (`text/event-stream`) read from an answer: the audit log's and the
//! revocation feed's streams. Parsing follows the HTML standard (`eventsource-stream`); a stream
//! that sends nothing, not even a keep-alive comment, for longer than its silence bound ends in
//! an error, so a half-open connection is noticed.

use std::pin::Pin;
use std::time::Duration;

use eventsource_stream::{EventStreamError, Eventsource};
use futures_util::{Stream, StreamExt};
use reqwest::Response;

use crate::error::{Error, Result};

/// One event of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its type (`message` when the server named none).
    pub event: String,
    /// Its id (`id:`), empty when it had none.
    pub id: String,
    pub data: String,
}

type Frames = Pin<
    Box<
        dyn Stream<Item = std::result::Result<eventsource_stream::Event, EventStreamError<Error>>>
            + Send,
    >,
>;

/// The events of one answer, in order.
pub struct Events {
    frames: Frames,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Events")
    }
}

impl Events {
    /// Reads `res`'s body as events; more than `silence` without a byte is an error.
    pub fn new(res: Response, silence: Duration) -> Self {
        let bytes = futures_util::stream::unfold(Some(res), move |res| async move {
            let mut res = res?;
            match tokio::time::timeout(silence, res.chunk()).await {
                Ok(Ok(Some(chunk))) => Some((Ok(chunk), Some(res))),
                Ok(Ok(None)) => None,
                Ok(Err(e)) => Some((Err(Error::Transport(e)), None)),
                Err(_) => Some((
                    Err(Error::Protocol(format!(
                        "the event stream sent nothing for {} s",
                        silence.as_secs()
                    ))),
                    None,
                )),
            }
        });
        Self {
            frames: Box::pin(bytes.eventsource()),
        }
    }

    /// The next event; `None` when the server ended the stream.
    pub async fn next(&mut self) -> Result<Option<Event>> {
        match self.frames.next().await {
            None => Ok(None),
            Some(Ok(e)) => Ok(Some(Event {
                event: e.event,
                id: e.id,
                data: e.data,
            })),
            Some(Err(EventStreamError::Transport(e))) => Err(e),
            Some(Err(EventStreamError::Utf8(e))) => Err(Error::Protocol(format!(
                "the event stream is not UTF-8: {e}"
            ))),
            Some(Err(EventStreamError::Parser(e))) => Err(Error::Protocol(format!(
                "the event stream cannot be read: {e}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    /// A server on loopback that answers one request with `body` (chunks written apart), then
    /// keeps the connection open without a byte more.
    async fn serve(chunks: Vec<&'static str>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await.unwrap();
            socket
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n")
                .await
                .unwrap();
            for chunk in chunks {
                let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                socket.write_all(framed.as_bytes()).await.unwrap();
                socket.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        });
        format!("http://{addr}/")
    }

    #[tokio::test]
    async fn events_split_across_chunks_and_characters_are_read_whole() {
        // Cut inside a line, with a comment and a character of two bytes.
        let url = serve(vec![
            ": keep-alive\n\nevent: audit\nid: 7\nda",
            "ta: {\"user\":\"zoé\"}\n\n",
            "event: cursor\nid: 9\ndata: 9\n\n",
        ])
        .await;
        let res = reqwest::get(url).await.unwrap();
        let mut events = Events::new(res, Duration::from_secs(5));
        let first = events.next().await.unwrap().unwrap();
        assert_eq!(first.event, "audit");
        assert_eq!(first.id, "7");
        assert_eq!(first.data, "{\"user\":\"zoé\"}");
        let second = events.next().await.unwrap().unwrap();
        assert_eq!(
            (second.event.as_str(), second.data.as_str()),
            ("cursor", "9")
        );
    }

    #[tokio::test]
    async fn a_silent_stream_ends_in_an_error() {
        let url = serve(vec![": keep-alive\n\n"]).await;
        let res = reqwest::get(url).await.unwrap();
        let mut events = Events::new(res, Duration::from_millis(300));
        let err = events.next().await.unwrap_err();
        assert!(err.to_string().contains("sent nothing"), "{err}");
    }
}
