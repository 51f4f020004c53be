//! The stylesheet and the keyboard script, compiled into the binary and served with a long
//! cache lifetime (their names change with their content only across releases, so an hour).

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const STYLESHEET: &str = include_str!("../../assets/app.css");
const KEYS_SCRIPT: &str = include_str!("../../assets/keys.js");

/// Registers `/assets/app.css` and `/assets/keys.js`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/app.css", web::get().to(stylesheet)).route("/keys.js", web::get().to(keys_script));
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

async fn keys_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", KEYS_SCRIPT)
}
