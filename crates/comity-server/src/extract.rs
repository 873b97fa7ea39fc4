//! What handlers take from a request, each read once, with the one error shape: the
//! caller (which `auth::authenticate` resolved before), the client's address, a strict
//! JSON body, the ids in paths, query parameters, and the leave to change the registers
//! or the accounts.
//!
//! Axum runs extractors in the order of a handler's arguments, so the order there is the
//! order of the checks: who calls, whether the policy lets them, then what they sent.

use axum::{
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Query, Request},
    http::{StatusCode, header, request::Parts},
};
use comity_core::RequestId;
use comity_wire::parse_json;
use serde::de::DeserializeOwned;

use std::net::IpAddr;

pub use comity_app::Caller;

use crate::{AppState, error::ApiError};

/// Extracts the authenticated caller, or answers 401.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().map(Authenticated).ok_or_else(unauthenticated)
    }
}

/// The caller if there is one, without refusing anonymous requests.
#[derive(Debug, Clone)]
pub struct MaybeAuthenticated(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuthenticated {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuthenticated(parts.extensions.get::<Caller>().cloned()))
    }
}

/// The client's address: the peer, or with `--behind-proxy` the address the proxy saw
/// (the last `X-Forwarded-For` entry, the one the proxy itself added).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<ClientIp>().copied().unwrap_or(ClientIp(IpAddr::from([0, 0, 0, 0]))))
    }
}

/// 401 with the one message every missing or failed credential gets.
pub fn unauthenticated() -> ApiError {
    ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", comity_app::SIGN_IN_FIRST)
        .www_authenticate("Bearer realm=\"comity\"")
}

/// A JSON body of type `T`: sent as `application/json` (415 otherwise), read whole, and
/// parsed strictly, every problem with its path.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        require_json(request.headers())?;
        let body = Bytes::from_request(request, state).await?;
        Ok(JsonBody(parse_json(&body)?))
    }
}

/// 415 unless the body is declared `application/json`.
pub fn require_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "send the document with `Content-Type: application/json` (got {})",
                if content_type.is_empty() { "none".to_owned() } else { format!("{content_type:?}") }
            ),
        ))
    }
}

/// The request id of `/v1/requests/{id}/...`, or 400 saying what is wrong with it.
#[derive(Debug, Clone, Copy)]
pub struct RequestIdPath(pub RequestId);

impl<S: Send + Sync> FromRequestParts<S> for RequestIdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<String>::from_request_parts(parts, state).await?;
        Ok(RequestIdPath(request_id(&id)?))
    }
}

/// A request id from text, or 400 saying what is wrong with it.
pub fn request_id(text: &str) -> Result<RequestId, ApiError> {
    RequestId::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
}

/// The request id and production id of `/v1/requests/{id}/productions/{production}/...`.
#[derive(Debug, Clone)]
pub struct ProductionPath(pub RequestId, pub String);

impl<S: Send + Sync> FromRequestParts<S> for ProductionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path((id, production)) = Path::<(String, String)>::from_request_parts(parts, state).await?;
        Ok(ProductionPath(request_id(&id)?, production))
    }
}

/// Query parameters of type `T`, parsed strictly (400 naming what is wrong).
#[derive(Debug, Clone)]
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(params) = Query::<T>::from_request_parts(parts, state).await?;
        Ok(QueryParams(params))
    }
}

/// The leave to change the registers, as the policy gives it to the caller (401 without
/// a caller, 403 without the leave), taken before the body is read.
#[derive(Debug, Clone)]
pub struct ManageRegisters(pub comity_app::Registers);

impl FromRequestParts<AppState> for ManageRegisters {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authenticated(caller) = Authenticated::from_request_parts(parts, state).await?;
        Ok(ManageRegisters(state.app.manage_registers(&caller)?))
    }
}

/// The leave to manage accounts and tokens, as the policy gives it to the caller.
#[derive(Debug, Clone)]
pub struct ManageAccounts(pub comity_app::Accounts);

impl FromRequestParts<AppState> for ManageAccounts {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let Authenticated(caller) = Authenticated::from_request_parts(parts, state).await?;
        Ok(ManageAccounts(state.app.manage_accounts(&caller)?))
    }
}
