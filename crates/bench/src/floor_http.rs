//! The HTTP floor: an actix-web server (the same framework, version and worker count as the
//! service) whose handlers return the bytes the service returned for the same request,
//! from memory. It runs as its own process (`supportdesk-bench floor-server`), so it is
//! measured exactly like the service: same driver, same `/proc` readings.
//!
//! `GET /floor/{name}` answers 200 with body `name`; `POST /floor/{name}` reads the request
//! body and answers 201 with body `name`. Bodies come from files named on the command line
//! (`--body NAME=PATH`), captured from the service earlier in the run.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};

use crate::BoxError;

/// The canned bodies, by name.
type Bodies = Arc<HashMap<String, web::Bytes>>;

async fn get_body(name: web::Path<String>, bodies: web::Data<Bodies>) -> HttpResponse {
    match bodies.get(name.as_str()) {
        Some(body) => HttpResponse::Ok().insert_header(ContentType::json()).body(body.clone()),
        None => HttpResponse::NotFound().finish(),
    }
}

async fn post_body(name: web::Path<String>, request: web::Bytes, bodies: web::Data<Bodies>) -> HttpResponse {
    match bodies.get(name.as_str()) {
        // The request body is read in full (the extractor), like the service reads it.
        Some(body) if !request.is_empty() => {
            HttpResponse::Created().insert_header(ContentType::json()).body(body.clone())
        }
        Some(_) => HttpResponse::BadRequest().finish(),
        None => HttpResponse::NotFound().finish(),
    }
}

/// Parses `--body NAME=PATH ...` and reads the files.
fn bodies(args: &[String]) -> Result<HashMap<String, web::Bytes>, BoxError> {
    let mut bodies = HashMap::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        if arg != "--body" {
            return Err(format!("floor-server: unexpected argument `{arg}` (expected --body NAME=PATH)").into());
        }
        let spec = args.next().ok_or("floor-server: --body needs NAME=PATH")?;
        let (name, path) = spec.split_once('=').ok_or("floor-server: --body needs NAME=PATH")?;
        let body = std::fs::read(path).map_err(|e| format!("floor-server: cannot read {path}: {e}"))?;
        bodies.insert(name.to_owned(), web::Bytes::from(body));
    }
    Ok(bodies)
}

/// Serves the floor on `127.0.0.1:0` until killed; prints `listening on http://ADDR` first.
///
/// # Errors
///
/// Bad arguments, unreadable files, or a failure to listen.
pub fn serve(args: &[String]) -> Result<(), BoxError> {
    let bodies: Bodies = Arc::new(bodies(args)?);
    actix_web::rt::System::new().block_on(async move {
        let data = web::Data::new(bodies);
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new()
                .app_data(data.clone())
                .route("/floor/{name}", web::get().to(get_body))
                .route("/floor/{name}", web::post().to(post_body))
        })
        .shutdown_timeout(1)
        .bind(("127.0.0.1", 0))?;
        let mut out = std::io::stdout().lock();
        for addr in server.addrs() {
            writeln!(out, "floor-server listening on http://{addr}")?;
        }
        out.flush()?;
        drop(out);
        server.run().await?;
        Ok(())
    })
}
