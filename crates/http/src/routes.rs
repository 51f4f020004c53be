//! Route registration through one recording table, so that the list of every route the
//! app serves is known, and a test can hold it against the OpenAPI document.
//!
//! Each resource module has `configure(routes: &mut Routes<'_>)`; a path is registered
//! once with all its methods, and a method the path does not have answers 405 with `Allow`
//! (problem+json), not 404.

use actix_web::dev::Handler;
use actix_web::http::Method;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, Responder};

use crate::error::ApiError;

/// One registered route.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteEntry {
    /// `GET`, `POST` ...
    pub method: &'static str,
    /// The path pattern, e.g. `/api/v1/tickets/{ticket}`.
    pub path: &'static str,
}

/// Registers routes on a [`web::ServiceConfig`] and remembers them.
pub struct Routes<'a> {
    cfg: &'a mut web::ServiceConfig,
    registered: Vec<RouteEntry>,
}

impl<'a> Routes<'a> {
    /// Registers on `cfg`.
    pub fn new(cfg: &'a mut web::ServiceConfig) -> Self {
        Self { cfg, registered: Vec::new() }
    }

    /// Registers the routes of one path: `routes.resource("/x", |r| r.get(list).post(create))`.
    pub fn resource(&mut self, path: &'static str, build: impl FnOnce(ResourceRoutes) -> ResourceRoutes) {
        let built = build(ResourceRoutes { path, resource: web::resource(path), methods: Vec::new() });
        let allowed = built.methods.join(", ");
        let resource = built.resource.default_service(web::to(move |req: HttpRequest| {
            let allowed = allowed.clone();
            async move { Err::<HttpResponse, _>(ApiError::method_not_allowed(req.method().as_str(), &allowed)) }
        }));
        self.cfg.service(resource);
        self.registered.extend(built.methods.into_iter().map(|method| RouteEntry { method, path }));
    }

    /// Everything registered so far.
    pub fn into_registered(self) -> Vec<RouteEntry> {
        self.registered
    }
}

/// The routes of one path, being built.
pub struct ResourceRoutes {
    path: &'static str,
    resource: actix_web::Resource,
    methods: Vec<&'static str>,
}

macro_rules! method_fn {
    ($name:ident, $method:expr, $label:literal) => {
        /// Adds a handler for this method.
        pub fn $name<F, Args>(self, handler: F) -> Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.add($method, $label, handler)
        }
    };
}

impl ResourceRoutes {
    method_fn!(get, Method::GET, "GET");
    method_fn!(post, Method::POST, "POST");
    method_fn!(put, Method::PUT, "PUT");
    method_fn!(patch, Method::PATCH, "PATCH");
    method_fn!(delete, Method::DELETE, "DELETE");

    fn add<F, Args>(mut self, method: Method, label: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        debug_assert!(!self.methods.contains(&label), "{label} {} registered twice", self.path);
        self.resource = self.resource.route(web::method(method).to(handler));
        self.methods.push(label);
        self
    }
}

/// The app's default service: 404 problem+json for a path no route has.
pub(crate) async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found(format!("no route for {} {}", req.method(), req.path())))
}
