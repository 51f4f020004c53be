//! Just enough of a browser for the console's and portal's forms: a cookie jar, pages
//! fetched without following redirects, and forms posted with their CSRF token.

#![expect(clippy::unwrap_used, reason = "test harness")]

use std::collections::HashMap;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::StatusCode;

use crate::Server;

/// A cookie jar and the pages it fetched: just enough of a browser.
pub struct Browser<'a> {
    server: &'a Server,
    /// Its HTTP client (cookies are sent by hand, from `cookies`).
    pub http: reqwest::Client,
    /// The cookies it holds, by name.
    pub cookies: HashMap<String, String>,
}

/// A page as fetched.
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// The `Location` header, or `""`.
    pub fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    /// The `value` of the first input named `name`.
    pub fn input(&self, name: &str) -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start =
            self.body.find(&marker).unwrap_or_else(|| panic!("no input {name} in {}", self.body)) + marker.len();
        self.body[start..].split('"').next().unwrap().to_owned()
    }

    /// The text after the first `prefix`, up to the next `"`, `<` or whitespace.
    pub fn after(&self, prefix: &str) -> String {
        let start = self.body.find(prefix).unwrap_or_else(|| panic!("no {prefix} in {}", self.body)) + prefix.len();
        self.body[start..].split(['"', '<', ' ', '\n']).next().unwrap().to_owned()
    }
}

impl<'a> Browser<'a> {
    /// A browser with no cookies yet, that does not follow redirects.
    pub fn new(server: &'a Server) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { server, http, cookies: HashMap::new() }
    }

    /// The `Cookie` header it sends.
    pub fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// `GET path` with the cookies.
    pub async fn get(&mut self, path: &str) -> Answer {
        let response =
            self.http.get(self.server.url(path)).header("Cookie", self.cookie_header()).send().await.unwrap();
        self.answer(response).await
    }

    /// Posts `form` to `path` with the cookies, from the server's own origin.
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let response = self
            .http
            .post(self.server.url(path))
            .header("Cookie", self.cookie_header())
            .header("Origin", self.server.base.clone())
            .form(form)
            .send()
            .await
            .unwrap();
        self.answer(response).await
    }

    async fn answer(&mut self, response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        self.keep_cookies(&headers);
        Answer { status, headers, body: response.text().await.unwrap() }
    }

    /// Logs in through the area's form; returns the redirect.
    pub async fn login(&mut self, area: &str, email: &str, password: &str) -> Answer {
        let page = self.get(&format!("/{area}/login")).await;
        assert_eq!(page.status, 200);
        let csrf = page.input("csrf");
        self.post(
            &format!("/{area}/login"),
            &[("csrf", &csrf), ("tenant", "default"), ("email", email), ("password", password)],
        )
        .await
    }

    /// Posts a form of the page at `page_path` (its CSRF token and version) to `action`.
    pub async fn submit(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Answer {
        let page = self.get(page_path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let csrf = page.input("csrf");
        let version = page.body.contains("name=\"version\"").then(|| page.input("version"));
        let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
        if let Some(version) = &version {
            form.push(("version", version));
        }
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }
}
