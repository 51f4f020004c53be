//! The load driver: `concurrency` tasks, each with one keep-alive HTTP/1.1 connection to a
//! loopback address, sending requests back to back for a fixed time, each latency recorded
//! in an HDR histogram (microseconds).
//!
//! The client is a few dozen lines over a `TcpStream` rather than a general-purpose HTTP
//! client: the load generator shares the two cores with the server, and the less CPU it
//! burns per request, the closer the HTTP floor gets to what the hardware allows (a heavy
//! client would flatter every ratio to the HTTP floor).

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::rng::Rng;
use crate::BoxError;

/// An HTTP method the workloads use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
    /// `POST` with a JSON body.
    Post,
    /// `DELETE`.
    Delete,
}

/// One request of a workload.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// Path and query.
    pub path: String,
    /// The bearer token, if any.
    pub token: Option<Arc<str>>,
    /// The JSON body of a `POST`.
    pub body: Option<Vec<u8>>,
    /// A console page: the token goes in the `sd_session` cookie, as a browser sends it.
    pub page: bool,
}

impl Request {
    /// A `GET` of `path` with `token`.
    pub fn get(path: String, token: &Arc<str>) -> Self {
        Self { method: Method::Get, path, token: Some(token.clone()), body: None, page: false }
    }

    /// A `GET` of a console page at `path`, signed in with `token` as a browser would be.
    pub fn page(path: String, token: &Arc<str>) -> Self {
        Self { method: Method::Get, path, token: Some(token.clone()), body: None, page: true }
    }

    /// A `POST` of `body` (JSON) to `path` with `token`.
    pub fn post(path: String, token: &Arc<str>, body: Vec<u8>) -> Self {
        Self { method: Method::Post, path, token: Some(token.clone()), body: Some(body), page: false }
    }

    /// The request as bytes on the wire, written into `out` (cleared first).
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(match self.method {
            Method::Get => b"GET ",
            Method::Post => b"POST ",
            Method::Delete => b"DELETE ",
        });
        out.extend_from_slice(self.path.as_bytes());
        if self.page {
            out.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n");
        } else {
            out.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n");
        }
        if let Some(token) = &self.token {
            out.extend_from_slice(if self.page { b"Cookie: sd_session=" } else { b"Authorization: Bearer " });
            out.extend_from_slice(token.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if let Some(body) = &self.body {
            out.extend_from_slice(b"Content-Type: application/json\r\nContent-Length: ");
            out.extend_from_slice(body.len().to_string().as_bytes());
            out.extend_from_slice(b"\r\n\r\n");
            out.extend_from_slice(body);
        } else {
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// What a workload is: a source of requests. `next` is called once per request, from
/// whichever task sends it; `task` is that task's index (`0..concurrency`), so a workload
/// can give each task tickets of its own (no two tasks write the same ticket at once).
pub trait Workload: Send + Sync {
    /// The next request of task `task`.
    fn next(&self, task: usize, rng: &mut Rng) -> Request;
}

/// A response as the driver sees it: the status, and the body when it was asked for (or
/// the status is not 2xx, to explain the error).
#[derive(Debug)]
pub struct Response {
    /// The HTTP status.
    pub status: u16,
    /// The body, if kept.
    pub body: Vec<u8>,
}

/// One keep-alive connection. It reconnects when the server closed it.
pub struct Connection {
    addr: SocketAddr,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

impl Connection {
    /// A connection to `addr`, opened on first use.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, stream: None, buf: Vec::with_capacity(64 * 1024) }
    }

    /// Sends `request` (already encoded) and reads the response. A request on a reused
    /// connection that the server had closed meanwhile is sent again once, on a new one.
    ///
    /// # Errors
    ///
    /// I/O errors and malformed responses.
    pub async fn send(&mut self, request: &[u8], keep_body: bool) -> io::Result<Response> {
        let reused = self.stream.is_some();
        match self.try_send(request, keep_body).await {
            Ok(response) => Ok(response),
            Err(error) if reused && is_stale(&error) => {
                self.stream = None;
                self.try_send(request, keep_body).await
            }
            Err(error) => {
                self.stream = None;
                Err(error)
            }
        }
    }

    async fn try_send(&mut self, request: &[u8], keep_body: bool) -> io::Result<Response> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
            self.buf.clear();
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(io::Error::other("no connection"));
        };
        stream.write_all(request).await?;
        let (response, close) = read_response(stream, &mut self.buf, keep_body).await?;
        if close {
            self.stream = None;
        }
        Ok(response)
    }
}

/// Whether an error means "the server had closed the idle connection".
fn is_stale(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

/// Reads more bytes into `buf`; end of stream is an error (a response was due).
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<()> {
    buf.reserve(16 * 1024);
    let read = stream.read_buf(buf).await?;
    if read == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection"));
    }
    Ok(())
}

fn invalid(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_owned())
}

/// Reads one response. Returns it, and whether the connection must be closed after it.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>, keep_body: bool) -> io::Result<(Response, bool)> {
    // The head: status, Content-Length or chunked, Connection: close.
    let (status, head_len, length, chunked, close) = loop {
        let mut headers = [httparse::EMPTY_HEADER; 48];
        let mut parsed = httparse::Response::new(&mut headers);
        match parsed.parse(buf) {
            Ok(httparse::Status::Complete(head_len)) => {
                let status = parsed.code.ok_or_else(|| invalid("no status code"))?;
                let mut length = None;
                let mut chunked = false;
                let mut close = false;
                for header in parsed.headers.iter() {
                    if header.name.eq_ignore_ascii_case("content-length") {
                        let text = std::str::from_utf8(header.value).map_err(|_| invalid("bad Content-Length"))?;
                        length = Some(text.trim().parse::<usize>().map_err(|_| invalid("bad Content-Length"))?);
                    } else if header.name.eq_ignore_ascii_case("transfer-encoding") {
                        chunked = header.value.windows(7).any(|w| w.eq_ignore_ascii_case(b"chunked"));
                    } else if header.name.eq_ignore_ascii_case("connection") {
                        close = header.value.windows(5).any(|w| w.eq_ignore_ascii_case(b"close"));
                    }
                }
                break (status, head_len, length, chunked, close);
            }
            Ok(httparse::Status::Partial) => fill(stream, buf).await?,
            Err(_) => return Err(invalid("malformed response head")),
        }
    };
    let keep = keep_body || !(200..300).contains(&status);
    let mut body = Vec::new();
    let end = if status == 204 || status == 304 || (100..200).contains(&status) {
        head_len
    } else if chunked {
        let mut at = head_len;
        loop {
            let line_end = loop {
                if let Some(pos) = buf[at..].windows(2).position(|w| w == b"\r\n") {
                    break at + pos;
                }
                fill(stream, buf).await?;
            };
            let line = std::str::from_utf8(&buf[at..line_end]).map_err(|_| invalid("bad chunk size"))?;
            let size_text = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid("bad chunk size"))?;
            at = line_end + 2;
            if size == 0 {
                // Trailers, if any, end with an empty line.
                loop {
                    if let Some(pos) = buf[at..].windows(2).position(|w| w == b"\r\n") {
                        let empty = pos == 0;
                        at += pos + 2;
                        if empty {
                            break;
                        }
                    } else {
                        fill(stream, buf).await?;
                    }
                }
                break at;
            }
            while buf.len() < at + size + 2 {
                fill(stream, buf).await?;
            }
            if keep {
                body.extend_from_slice(&buf[at..at + size]);
            }
            at += size + 2;
        }
    } else if let Some(length) = length {
        while buf.len() < head_len + length {
            fill(stream, buf).await?;
        }
        if keep {
            body.extend_from_slice(&buf[head_len..head_len + length]);
        }
        head_len + length
    } else {
        // No length: the body runs to the end of the connection.
        loop {
            buf.reserve(16 * 1024);
            if stream.read_buf(buf).await? == 0 {
                break;
            }
        }
        if keep {
            body.extend_from_slice(&buf[head_len..]);
        }
        let end = buf.len();
        buf.drain(..end);
        return Ok((Response { status, body }, true));
    };
    buf.drain(..end);
    Ok((Response { status, body }, close))
}

/// How to drive a workload.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Concurrent tasks (each with its own connection).
    pub concurrency: usize,
    /// How long requests are started for.
    pub duration: Duration,
    /// How long one request may take before it counts as an error.
    pub timeout: Duration,
    /// Seed of the tasks' random choices.
    pub seed: u64,
    /// A steady load of this many requests per second over all tasks (each task sends on
    /// its own schedule, whatever the answers' latency); `None`: back to back.
    pub rate: Option<f64>,
}

/// What a run measured.
#[derive(Debug)]
pub struct Outcome {
    /// Latency of every completed request, in microseconds (errors included).
    pub histogram: Histogram<u64>,
    /// Requests answered 2xx.
    pub ok: u64,
    /// Requests answered otherwise, failed or timed out.
    pub errors: u64,
    /// From the start to the last response.
    pub elapsed: Duration,
    /// A few error descriptions, for the report.
    pub samples: Vec<String>,
}

impl Outcome {
    /// Completed requests per second.
    pub fn rate(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs <= 0.0 {
            return 0.0;
        }
        (self.ok + self.errors) as f64 / secs
    }
}

/// A new latency histogram: 1 µs to 5 minutes, 3 significant digits.
///
/// # Errors
///
/// Never in practice (the bounds are valid).
pub fn histogram() -> Result<Histogram<u64>, BoxError> {
    Ok(Histogram::new_with_bounds(1, 300_000_000, 3)?)
}

/// What one task measured.
struct TaskOutcome {
    histogram: Histogram<u64>,
    ok: u64,
    errors: u64,
    last: Instant,
    samples: Vec<String>,
}

async fn drive_task(
    addr: SocketAddr,
    workload: Arc<dyn Workload>,
    task: usize,
    plan: Plan,
    start: Instant,
) -> Result<TaskOutcome, String> {
    let end = start + plan.duration;
    let mut rng = Rng::new(plan.seed ^ (task as u64).wrapping_mul(0x0100_0000_01B3));
    let mut connection = Connection::new(addr);
    let mut outcome = TaskOutcome {
        histogram: histogram().map_err(|e| e.to_string())?,
        ok: 0,
        errors: 0,
        last: start,
        samples: Vec::new(),
    };
    let mut wire = Vec::with_capacity(2048);
    // Paced: task t sends at start + (t + k * concurrency) / rate, k = 0, 1, ...
    let interval = plan.rate.filter(|r| *r > 0.0).map(|rate| Duration::from_secs_f64(plan.concurrency as f64 / rate));
    let mut next_send = start + interval.map_or(Duration::ZERO, |i| i.mul_f64(task as f64 / plan.concurrency as f64));
    while Instant::now() < end {
        if let Some(interval) = interval {
            tokio::time::sleep_until(next_send.into()).await;
            next_send += interval;
            if Instant::now() >= end {
                break;
            }
        }
        let request = workload.next(task, &mut rng);
        request.encode(&mut wire);
        let sent = Instant::now();
        let result = tokio::time::timeout(plan.timeout, connection.send(&wire, false)).await;
        let done = Instant::now();
        outcome.last = done;
        let micros = u64::try_from(done.duration_since(sent).as_micros()).unwrap_or(u64::MAX);
        outcome.histogram.saturating_record(micros.max(1));
        let failure = match result {
            Ok(Ok(response)) if (200..300).contains(&response.status) => None,
            Ok(Ok(response)) => Some(format!(
                "{} {} -> {}: {}",
                match request.method {
                    Method::Get => "GET",
                    Method::Post => "POST",
                    Method::Delete => "DELETE",
                },
                request.path,
                response.status,
                String::from_utf8_lossy(&response.body[..response.body.len().min(300)])
            )),
            Ok(Err(error)) => Some(format!("{}: {error}", request.path)),
            Err(_) => {
                connection = Connection::new(addr);
                Some(format!("{}: no answer within {:?}", request.path, plan.timeout))
            }
        };
        match failure {
            None => outcome.ok += 1,
            Some(sample) => {
                outcome.errors += 1;
                if outcome.samples.len() < 3 {
                    outcome.samples.push(sample);
                }
            }
        }
    }
    Ok(outcome)
}

/// Drives `workload` against `addr` as `plan` says. Refuses any address that is not
/// loopback: the bench never sends load anywhere else.
///
/// # Errors
///
/// A non-loopback address, or a task that could not run.
pub async fn run(addr: SocketAddr, workload: Arc<dyn Workload>, plan: Plan) -> Result<Outcome, BoxError> {
    if !addr.ip().is_loopback() {
        return Err(format!("refusing to send load to {addr}: only loopback addresses are allowed").into());
    }
    let start = Instant::now();
    let mut handles = Vec::with_capacity(plan.concurrency);
    for task in 0..plan.concurrency {
        handles.push(tokio::spawn(drive_task(addr, workload.clone(), task, plan, start)));
    }
    // Every run is bounded: the tasks stop starting requests at `duration`, and a request
    // in flight gives up at `timeout`; this is the backstop past both.
    let limit = plan.duration + plan.timeout + Duration::from_secs(5);
    let mut outcome =
        Outcome { histogram: histogram()?, ok: 0, errors: 0, elapsed: Duration::ZERO, samples: Vec::new() };
    let mut last = start;
    for handle in handles {
        let remaining = limit.saturating_sub(start.elapsed());
        let task = match tokio::time::timeout(remaining, handle).await {
            Ok(Ok(Ok(task))) => task,
            Ok(Ok(Err(error))) => return Err(error.into()),
            Ok(Err(join)) => return Err(format!("a load task failed: {join}").into()),
            Err(_) => return Err("a load task overran its time limit".into()),
        };
        outcome.histogram.add(&task.histogram)?;
        outcome.ok += task.ok;
        outcome.errors += task.errors;
        last = last.max(task.last);
        for sample in task.samples {
            if outcome.samples.len() < 5 {
                outcome.samples.push(sample);
            }
        }
    }
    outcome.elapsed = last.duration_since(start);
    Ok(outcome)
}

/// Sends one request and returns the response with its body (for capturing bodies and
/// checking that the server answers).
///
/// # Errors
///
/// I/O errors, a non-loopback address, or no answer within 30 seconds.
pub async fn fetch(addr: SocketAddr, request: &Request) -> Result<Response, BoxError> {
    if !addr.ip().is_loopback() {
        return Err(format!("refusing to send a request to {addr}: only loopback addresses are allowed").into());
    }
    let mut connection = Connection::new(addr);
    let mut wire = Vec::new();
    request.encode(&mut wire);
    match tokio::time::timeout(Duration::from_secs(30), connection.send(&wire, true)).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(format!("no answer to {} within 30 s", request.path).into()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use tokio::net::TcpListener;

    /// A one-connection server that answers each request with `responses` in turn.
    async fn canned(responses: Vec<&'static [u8]>) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = vec![0u8; 4096];
            for response in responses {
                let _ = socket.read(&mut buf).await.unwrap();
                socket.write_all(response).await.unwrap();
            }
        });
        addr
    }

    #[tokio::test]
    async fn reads_content_length_and_chunked_bodies_on_one_connection() {
        let addr = canned(vec![
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno",
        ])
        .await;
        let mut connection = Connection::new(addr);
        let request = Request { method: Method::Get, path: "/".into(), token: None, body: None, page: false };
        let mut wire = Vec::new();
        request.encode(&mut wire);
        let first = connection.send(&wire, true).await.unwrap();
        assert_eq!((first.status, first.body.as_slice()), (200, &b"hello"[..]));
        let second = connection.send(&wire, true).await.unwrap();
        assert_eq!((second.status, second.body.as_slice()), (201, &b"abcde"[..]));
        let third = connection.send(&wire, false).await.unwrap();
        assert_eq!((third.status, third.body.as_slice()), (404, &b"no"[..]), "error bodies are kept");
    }

    #[test]
    fn a_post_carries_its_length_and_token() {
        let token: Arc<str> = Arc::from("t0k");
        let mut wire = Vec::new();
        Request::post("/x".into(), &token, b"{}".to_vec()).encode(&mut wire);
        let text = String::from_utf8(wire).unwrap();
        assert!(text.starts_with("POST /x HTTP/1.1\r\n"));
        assert!(text.contains("Authorization: Bearer t0k\r\n"));
        assert!(text.ends_with("Content-Length: 2\r\n\r\n{}"));
    }
}
