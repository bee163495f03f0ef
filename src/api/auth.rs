// TEMPORARY shim until the api-creds branch lands (not committed).
use poem::{Request, Response};
pub struct ApiCaller {
    pub merchant_id: u64,
    pub originator: String,
}
pub async fn authenticate(
    _req: &Request,
    _state: &crate::handlers::AppState,
) -> Result<ApiCaller, Response> {
    Err(Response::builder()
        .status(poem::http::StatusCode::FORBIDDEN)
        .finish())
}
