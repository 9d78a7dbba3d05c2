//! The HTTP side of the services endpoint: bounded reading, routing, TLS, and rendering of
//! answers and errors in the request's protocol. What a call does is up to a [`Handler`].

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::error::{ServiceError, xml_escape};
use crate::protocol::{Protocol, Route, route, scope_service};

/// Largest request body read: AWS's largest payload among the served APIs is well under this.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most headers a request may carry.
pub const MAX_HEADERS: usize = 100;

/// Facts about a request that are not in its payload.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// A unique id, echoed in `x-amzn-RequestId` and in audit records.
    pub request_id: String,
    /// The client's address.
    pub source_ip: IpAddr,
    /// True when the request came over TLS (`aws:SecureTransport`).
    pub secure_transport: bool,
    /// When it arrived.
    pub received: time::OffsetDateTime,
}

/// A routed request, read in full (bounded). Its `Debug` shows sizes, never the body, the
/// parameters or header values, which can hold secrets and credentials.
#[derive(Clone)]
pub struct ServiceRequest {
    /// Service, operation and protocol.
    pub route: Route,
    /// HTTP method.
    pub method: String,
    /// The path as received (percent-encoded).
    pub raw_path: String,
    /// The query string as received.
    pub raw_query: String,
    /// Headers with lowercase names, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// For the query protocol: the decoded form parameters (query string and body).
    pub params: Vec<(String, String)>,
    /// Facts about the request.
    pub info: RequestInfo,
}

impl ServiceRequest {
    /// The first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first query-protocol parameter named `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body of a JSON-protocol call (`{}` when empty).
    pub fn json(&self) -> Result<serde_json::Value, ServiceError> {
        if self.body.is_empty() {
            return Ok(serde_json::Value::Object(serde_json::Map::new()));
        }
        serde_json::from_slice(&self.body).map_err(|e| {
            ServiceError::client(
                "SerializationException",
                format!("the request body is not valid JSON: {e}"),
            )
        })
    }
}

/// A successful answer. Its `Debug` shows the kind and size only: answers carry secret values.
#[derive(Clone)]
pub enum Output {
    /// A JSON body (JSON and REST-JSON protocols).
    Json(serde_json::Value),
    /// The inner XML of `<OperationResult>` for the query protocol.
    QueryXml(String),
    /// Anything else.
    Raw {
        /// HTTP status.
        status: u16,
        /// Content type.
        content_type: String,
        /// Extra headers.
        headers: Vec<(String, String)>,
        /// Body.
        body: Bytes,
    },
}

impl std::fmt::Debug for ServiceRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceRequest")
            .field("route", &self.route)
            .field("method", &self.method)
            .field("raw_path", &self.raw_path)
            .field("headers", &self.headers.len())
            .field("body_bytes", &self.body.len())
            .field("params", &self.params.len())
            .field("info", &self.info)
            .finish()
    }
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Output::Json(v) => write!(f, "Output::Json({} bytes)", v.to_string().len()),
            Output::QueryXml(x) => write!(f, "Output::QueryXml({} bytes)", x.len()),
            Output::Raw { status, body, .. } => {
                write!(f, "Output::Raw({status}, {} bytes)", body.len())
            }
        }
    }
}

/// What serves the calls.
pub trait Handler: Send + Sync + 'static {
    /// Answers one call. Runs on a blocking thread: it may do synchronous I/O.
    fn handle(&self, request: &ServiceRequest) -> Result<Output, ServiceError>;
}

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A request id shaped like AWS's (a UUID), unique per process.
pub fn new_request_id() -> String {
    let n = REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = time::OffsetDateTime::now_utc().unix_timestamp_nanos();
    #[expect(
        clippy::cast_sign_loss,
        clippy::cast_possible_truncation,
        reason = "bits for an id"
    )]
    let t = t as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (t >> 32) as u32,
        (t >> 16) & 0xffff,
        t & 0xfff,
        (n >> 48) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// Serves the endpoint on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    handler: Arc<dyn Handler>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = Arc::clone(&handler);
        let tls = tls.clone();
        tokio::spawn(async move {
            let secure = tls.is_some();
            let service = service_fn(move |req| {
                let handler = Arc::clone(&handler);
                async move { Ok::<_, Infallible>(answer(req, peer, secure, handler).await) }
            });
            let mut builder = http1::Builder::new();
            builder.max_headers(MAX_HEADERS).max_buf_size(64 * 1024);
            match tls {
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            }
        });
    }
}

fn fallback_protocol(headers: &[(String, String)]) -> Protocol {
    if headers.iter().any(|(k, _)| k == "x-amz-target") {
        Protocol::Json { target_prefix: "" }
    } else {
        Protocol::Query {
            xmlns: "https://sts.amazonaws.com/doc/2011-06-15/",
        }
    }
}

async fn answer(
    req: Request<Incoming>,
    peer: SocketAddr,
    secure: bool,
    handler: Arc<dyn Handler>,
) -> Response<Full<Bytes>> {
    let info = RequestInfo {
        request_id: new_request_id(),
        source_ip: peer.ip(),
        secure_transport: secure,
        received: time::OffsetDateTime::now_utc(),
    };
    let (parts, body) = req.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let e = ServiceError::client(
                "RequestEntityTooLarge",
                format!("the request body is larger than {MAX_BODY_BYTES} bytes"),
            )
            .with_status(413);
            return error_response(&e, fallback_protocol(&headers), &info.request_id);
        }
    };
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let raw_query = parts.uri.query().unwrap_or_default().to_string();
    let content_type = header("content-type");
    let is_form = content_type.is_none_or(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let mut params: Vec<(String, String)> = form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    if is_form && header("x-amz-target").is_none() {
        params.extend(form_urlencoded::parse(&body).into_owned());
    }
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str());
    let scope = scope_service(header("authorization"), &raw_query);
    let Some(route) = route(
        header("x-amz-target"),
        content_type,
        parts.uri.path(),
        scope,
        action,
    ) else {
        let e = match header("x-amz-target") {
            Some(t) => ServiceError::client(
                "UnknownOperationException",
                format!("unknown operation `{t}`"),
            ),
            None if action.is_some() => ServiceError::client(
                "InvalidAction",
                "could not determine the service: sign the request with a SigV4 credential scope naming `sts` or `iam`",
            ),
            None => ServiceError::client(
                "UnknownOperationException",
                "the request names no known service or operation",
            )
            .with_status(404),
        };
        return error_response(&e, fallback_protocol(&headers), &info.request_id);
    };
    let request = ServiceRequest {
        route,
        method: parts.method.as_str().to_string(),
        raw_path: parts.uri.path().to_string(),
        raw_query,
        headers,
        body,
        params,
        info,
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let result = handler.handle(&request);
        (request, result)
    })
    .await;
    match outcome {
        Ok((request, Ok(output))) => output_response(output, &request),
        Ok((request, Err(e))) => {
            error_response(&e, request.route.protocol, &request.info.request_id)
        }
        Err(_) => {
            let e = ServiceError::internal("the request could not be completed");
            error_response(&e, Protocol::Json { target_prefix: "" }, "")
        }
    }
}

fn base_response(
    status: u16,
    content_type: &str,
    request_id: &str,
    body: Bytes,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = resp.headers_mut();
    if let Ok(v) = content_type.parse() {
        h.insert(hyper::header::CONTENT_TYPE, v);
    }
    if let Ok(v) = request_id.parse() {
        h.insert("x-amzn-requestid", v);
    }
    resp
}

fn error_response(e: &ServiceError, protocol: Protocol, request_id: &str) -> Response<Full<Bytes>> {
    let rendered = e.render(protocol, request_id);
    let mut resp = base_response(
        rendered.status,
        rendered.content_type,
        request_id,
        rendered.body.into(),
    );
    if let Some(t) = rendered.error_type.and_then(|t| t.parse().ok()) {
        resp.headers_mut().insert("x-amzn-errortype", t);
    }
    resp
}

fn output_response(output: Output, request: &ServiceRequest) -> Response<Full<Bytes>> {
    let id = &request.info.request_id;
    match output {
        Output::Json(v) => {
            let ct = match request.route.protocol {
                Protocol::RestJson => "application/json",
                _ => "application/x-amz-json-1.1",
            };
            base_response(200, ct, id, v.to_string().into())
        }
        Output::QueryXml(inner) => {
            let op = &request.route.operation;
            let xmlns = match request.route.protocol {
                Protocol::Query { xmlns } => xmlns,
                _ => "",
            };
            let body = format!(
                "<{op}Response xmlns=\"{xmlns}\"><{op}Result>{inner}</{op}Result><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{op}Response>",
                xml_escape(id)
            );
            base_response(200, "text/xml", id, body.into())
        }
        Output::Raw {
            status,
            content_type,
            headers,
            body,
        } => {
            let mut resp = base_response(status, &content_type, id, body);
            for (k, v) in headers {
                if let (Ok(k), Ok(v)) = (
                    hyper::header::HeaderName::from_bytes(k.as_bytes()),
                    hyper::header::HeaderValue::from_str(&v),
                ) {
                    resp.headers_mut().insert(k, v);
                }
            }
            resp
        }
    }
}

/// Loads a TLS acceptor from PEM files: a certificate chain and its private key.
pub fn tls_acceptor(cert: &std::path::Path, key: &std::path::Path) -> Result<TlsAcceptor, String> {
    use std::io::BufReader;
    let read = |p: &std::path::Path| {
        std::fs::File::open(p)
            .map(BufReader::new)
            .map_err(|e| format!("cannot read `{}`: {e}", p.display()))
    };
    let certs = rustls_pemfile::certs(&mut read(cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("`{}` is not a PEM certificate chain: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("`{}` holds no certificate", cert.display()));
    }
    let key_der = rustls_pemfile::private_key(&mut read(key)?)
        .map_err(|e| format!("`{}` is not a PEM private key: {e}", key.display()))?
        .ok_or_else(|| format!("`{}` holds no private key", key.display()))?;
    let config = tokio_rustls::rustls::ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| format!("tls setup failed: {e}"))?
    .with_no_client_auth()
    .with_single_cert(certs, key_der)
    .map_err(|e| format!("the certificate and key do not form a usable pair: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}
