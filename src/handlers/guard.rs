//! Route guards. Each back-office route is declared with the `Access` it needs, next
//! to its path, in the one route table (`app::back_office`): the table is the
//! authorization matrix, and a route cannot be added without saying who may use it.
//! A user who does not meet the access gets the same 404 as for a missing page.

use std::sync::Arc;

use poem::http::{Method, StatusCode};
use poem::{
    Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, RouteMethod,
};

use super::Ctx;
use crate::domain::permission::Access;

/// What the route table says about one route: its path, who may use it, its methods.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub path: &'static str,
    pub access: Access,
    pub methods: Vec<Method>,
}

/// The endpoints of one path, by method, remembering which methods they are.
pub struct Methods {
    route: RouteMethod,
    methods: Vec<Method>,
}

/// A path answered on GET.
pub fn get<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods {
        route: RouteMethod::new().get(ep),
        methods: vec![Method::GET],
    }
}

/// A path answered on POST.
pub fn post<E>(ep: E) -> Methods
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    Methods {
        route: RouteMethod::new().post(ep),
        methods: vec![Method::POST],
    }
}

impl Methods {
    /// The same path also answered on POST.
    pub fn post<E>(mut self, ep: E) -> Methods
    where
        E: IntoEndpoint,
        E::Endpoint: 'static,
    {
        self.route = self.route.post(ep);
        self.methods.push(Method::POST);
        self
    }
}

/// Guarded routes, built one `at` at a time.
#[derive(Default)]
pub struct Table {
    route: Route,
    specs: Vec<RouteSpec>,
}

impl Table {
    pub fn new() -> Table {
        Table::default()
    }

    /// `path`, answered by `methods` for users who meet `access`.
    pub fn at(mut self, path: &'static str, access: Access, methods: Methods) -> Table {
        self.specs.push(RouteSpec {
            path,
            access,
            methods: methods.methods,
        });
        self.route = self.route.at(
            path,
            methods.route.around(move |ep, req| guard(access, ep, req)),
        );
        self
    }

    /// Every route of the table with its access, in declaration order.
    pub fn specs(&self) -> &[RouteSpec] {
        &self.specs
    }

    pub fn into_route(self) -> Route {
        self.route
    }
}

/// Runs `ep` for a signed-in user who meets `access`; anyone else gets the 404 page.
async fn guard<E: Endpoint>(access: Access, ep: Arc<E>, req: Request) -> poem::Result<Response> {
    let Some(ctx) = req.extensions().get::<Ctx>().cloned() else {
        return Err(poem::Error::from_status(StatusCode::INTERNAL_SERVER_ERROR));
    };
    if ctx.user().is_some_and(|u| u.meets(access)) {
        ep.call(req).await.map(IntoResponse::into_response)
    } else {
        Err(ctx.not_found())
    }
}
