//! One `GET /` over an open stream (TLS or plain), read within a deadline
//! and a byte budget.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

use super::response::{body_complete, parse_head, BodyLength, Head, Parsed};

/// The most bytes of response head read before giving up: real heads are a
/// few KiB; a server that sends more is broken or hostile.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Body bytes counted on plain HTTP: enough to tell a redirect notice from
/// content, without downloading a page.
pub const MAX_BODY_COUNT: u64 = 16 * 1024;

/// What one exchange got: the head, and the body bytes counted (when asked).
#[derive(Debug)]
pub(super) struct Fetched {
    pub head: Head,
    pub body_bytes: u64,
}

/// The request line and headers. `Connection: close` so that servers end
/// the body by closing; the User-Agent names the scanner, as the baseline's
/// safety defaults ask ("identifiable scanner source").
pub(super) fn request(host_header: &str) -> Vec<u8> {
    format!(
        "GET / HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: trustwatch-agent/{} (security posture scan)\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes()
}

/// Sends `request` and reads the response head, then (with `count_body`)
/// counts body bytes until the body ends, the server closes, the cap, or the
/// deadline — whichever is first. Errors are reasons for the evidence.
pub(super) async fn exchange<S>(
    stream: &mut S,
    request: &[u8],
    max_head: usize,
    count_body: bool,
    deadline: Instant,
) -> Result<Fetched, String>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let timeout = || "timed out waiting for the HTTP response".to_owned();
    tokio::time::timeout_at(deadline, async {
        stream.write_all(request).await?;
        stream.flush().await
    })
    .await
    .map_err(|_| timeout())?
    .map_err(|e| format!("could not send the request: {e}"))?;

    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head = loop {
        match parse_head(&buf) {
            // 1xx interim responses (103 Early Hints) precede the real one.
            Parsed::Complete(h) if (100..200).contains(&h.response.status) => {
                buf.drain(..h.len);
                continue;
            }
            Parsed::Complete(h) => break h,
            Parsed::Invalid(reason) => return Err(reason),
            Parsed::Incomplete if buf.len() >= max_head => {
                return Err(format!("the response head exceeds {max_head} bytes"))
            }
            Parsed::Incomplete => {}
        }
        let want = chunk.len().min(max_head + 1 - buf.len());
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut chunk[..want])).await {
            Err(_) => return Err(timeout()),
            Ok(Err(e)) => return Err(format!("connection failed while reading the response: {e}")),
            Ok(Ok(n)) => n,
        };
        if n == 0 {
            return Err(if buf.is_empty() {
                "the server closed the connection without answering".to_owned()
            } else {
                "the server closed the connection in the middle of the response head".to_owned()
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    };

    let mut body = buf.split_off(head.len);
    if count_body {
        // The body is only counted: once the cap is reached, bytes are
        // dropped, keeping just enough of the tail to see a chunked end.
        let mut counted = body.len() as u64;
        while counted < MAX_BODY_COUNT && !body_complete(head.body, counted, &body) {
            match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
                // A slow or endless body still leaves us the head and a count.
                Err(_) | Ok(Err(_)) | Ok(Ok(0)) => break,
                Ok(Ok(n)) => {
                    counted += n as u64;
                    body.extend_from_slice(&chunk[..n]);
                    if body.len() > 16 {
                        body.drain(..body.len() - 16);
                    }
                }
            }
        }
        // Bytes past a Content-Length are not this response's body.
        let counted = match head.body {
            BodyLength::Exactly(n) => counted.min(n),
            _ => counted,
        };
        return Ok(Fetched {
            head,
            body_bytes: counted.min(MAX_BODY_COUNT),
        });
    }
    Ok(Fetched {
        head,
        body_bytes: 0,
    })
}
