//! mudroom's AWS-compatible services endpoint.
//!
//! One endpoint serves every service, routed by the request as AWS SDKs send it
//! ([`protocol`]); [`server`] reads requests with bounded sizes and renders answers and errors in
//! each protocol's own shape ([`error`]).

pub mod auth;
pub mod error;
pub mod iam;
pub mod identity;
pub mod platform;
pub mod protocol;
mod random;
pub mod secretsmanager;
pub mod server;
pub mod sts;

pub use error::ServiceError;
pub use protocol::{Protocol, Route};
pub use server::{Handler, Output, RequestInfo, ServiceRequest, serve};
