//! A webhook receiver on loopback: an actix-web server on a thread of its own that answers
//! 204 to every `POST /hooks/{endpoint}` and records, for each delivery, the endpoint, its
//! `webhook-id`, the body's `id` and `occurredAt`, and when it arrived. Several endpoints
//! share one receiver by their path.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::Value;

use crate::BoxError;

/// One delivery as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    /// The endpoint's name (the last segment of its path).
    pub endpoint: String,
    /// The `webhook-id` header (empty when absent).
    pub webhook_id: String,
    /// The body's `id`, if the body is an event.
    pub event_id: Option<String>,
    /// The body's `occurredAt`, as sent.
    pub occurred_at: Option<String>,
    /// When the request arrived (wall clock, to compare with `occurredAt`).
    pub received_at: SystemTime,
}

type Log = Mutex<Vec<Received>>;

/// The running receiver; stopped when dropped.
pub struct WebhookReceiver {
    /// Where it listens.
    pub addr: SocketAddr,
    log: Arc<Log>,
    handle: actix_web::dev::ServerHandle,
}

async fn receive(
    endpoint: web::Path<String>,
    request: HttpRequest,
    body: web::Bytes,
    log: web::Data<Log>,
) -> HttpResponse {
    let received_at = SystemTime::now();
    let webhook_id = request.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let event = serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null);
    let received = Received {
        endpoint: endpoint.into_inner(),
        webhook_id,
        event_id: event["id"].as_str().map(str::to_owned),
        occurred_at: event["occurredAt"].as_str().map(str::to_owned),
        received_at,
    };
    if let Ok(mut log) = log.lock() {
        log.push(received);
    }
    HttpResponse::NoContent().finish()
}

impl WebhookReceiver {
    /// Starts listening on `127.0.0.1:0`.
    ///
    /// # Errors
    ///
    /// It cannot bind within 10 s.
    pub fn start() -> Result<Self, BoxError> {
        let log: Arc<Log> = Arc::default();
        let data = web::Data::from(log.clone());
        let (started, ready) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new().app_data(data.clone()).route("/hooks/{endpoint}", web::post().to(receive))
                })
                .workers(1)
                .bind("127.0.0.1:0");
                let server = match server {
                    Ok(server) => server,
                    Err(error) => {
                        let _ = started.send(Err(error.to_string()));
                        return;
                    }
                };
                let addr = server.addrs().first().copied();
                let running = server.run();
                let _ = started.send(addr.map(|a| (a, running.handle())).ok_or_else(|| "no address".to_owned()));
                let _ = running.await;
            });
        });
        let (addr, handle) = ready.recv_timeout(Duration::from_secs(10))??;
        Ok(Self { addr, log, handle })
    }

    /// The URL of endpoint `name`.
    pub fn url(&self, name: &str) -> String {
        format!("http://{}/hooks/{name}", self.addr)
    }

    /// Every delivery so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// How many deliveries arrived so far.
    pub fn count(&self) -> usize {
        self.log.lock().map(|log| log.len()).unwrap_or_default()
    }

    /// Forgets the deliveries so far.
    pub fn clear(&self) {
        if let Ok(mut log) = self.log.lock() {
            log.clear();
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        // Stops accepting; the thread ends with the server.
        drop(self.handle.stop(false));
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn a_delivery_is_recorded_with_its_ids_and_answered_204() {
        let receiver = WebhookReceiver::start().unwrap();
        let body = r#"{"id":"e1","occurredAt":"2026-11-29T10:00:00.000Z","type":"ticket.created"}"#;
        let mut stream = std::net::TcpStream::connect(receiver.addr).unwrap();
        write!(
            stream,
            "POST /hooks/shop HTTP/1.1\r\nHost: x\r\nwebhook-id: e1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 204"), "{answer}");
        let received = receiver.received();
        assert_eq!(received.len(), 1);
        assert_eq!(received[0].endpoint, "shop");
        assert_eq!(received[0].webhook_id, "e1");
        assert_eq!(received[0].event_id.as_deref(), Some("e1"));
        assert_eq!(received[0].occurred_at.as_deref(), Some("2026-11-29T10:00:00.000Z"));
    }
}
