//! The HTTP side of the services endpoint: bounded reading, routing, TLS, and rendering of
//! answers and errors in the request's protocol. What a call does is up to a [`Handler`].

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::error::{ServiceError, xml_escape};
use crate::protocol::{Protocol, Route, route, scope_service};

/// Largest request body read: AWS's largest payload among the served APIs is well under this.
pub const MAX_BODY_BYTES: usize = 1 << 20;
/// Most headers a request may carry.
pub const MAX_HEADERS: usize = 100;
/// Most connections served at once on threads of their own; more are served on the shared
/// runtime, their calls on its blocking pool.
pub const MAX_CONNECTION_THREADS: usize = 128;
/// How long a connection thread waits for a next connection before it ends.
const IDLE_THREAD_KEEP: Duration = Duration::from_secs(30);
/// How long a stopping endpoint waits for the calls in progress on connection threads.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

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
///
/// Each connection is served on a thread of its own (reused for later connections), which
/// answers its calls in place: a call waits for its audit record's fsync, and a thread that only
/// serves one connection can wait without holding up others or handing the call to another
/// thread and back. Past [`MAX_CONNECTION_THREADS`] connections, the rest are served on the
/// runtime with each call on its blocking pool. Once `shutdown` resolves, connections finish the
/// call in progress and close, and this returns when they have (at most 10 s later).
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    handler: Arc<dyn Handler>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let (stop, stopped) = watch::channel(false);
    let threads = Arc::new(ConnectionThreads::default());
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            stream,
            peer,
            tls: tls.clone(),
            handler: Arc::clone(&handler),
            stopped: stopped.clone(),
        };
        if let Err(connection) = ConnectionThreads::offer(&threads, connection) {
            tokio::spawn(connection.serve(Calls::Blocking));
        }
    }
    let _ = stop.send(true);
    threads.stop();
    let threads = Arc::clone(&threads);
    let _ = tokio::task::spawn_blocking(move || threads.wait_until_done(DRAIN_TIMEOUT)).await;
}

/// Where a connection's calls run.
#[derive(Clone, Copy)]
enum Calls {
    /// On the connection's own thread.
    InPlace,
    /// On the runtime's blocking pool.
    Blocking,
}

/// An accepted connection and what serving it takes.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    handler: Arc<dyn Handler>,
    stopped: watch::Receiver<bool>,
}

impl Connection {
    /// Serves the connection until the client closes it or the endpoint stops (then after the
    /// call in progress).
    async fn serve(self, calls: Calls) {
        let Connection {
            stream,
            peer,
            tls,
            handler,
            mut stopped,
        } = self;
        let secure = tls.is_some();
        let service = service_fn(move |req| {
            let handler = Arc::clone(&handler);
            async move { Ok::<_, Infallible>(answer(req, peer, secure, handler, calls).await) }
        });
        let mut builder = http1::Builder::new();
        builder.max_headers(MAX_HEADERS).max_buf_size(64 * 1024);
        macro_rules! run {
            ($io:expr) => {{
                let conn = builder.serve_connection(TokioIo::new($io), service);
                tokio::pin!(conn);
                tokio::select! {
                    _ = conn.as_mut() => return,
                    _ = stopped.wait_for(|s| *s) => conn.as_mut().graceful_shutdown(),
                }
                let _ = conn.await;
            }};
        }
        match tls {
            Some(acceptor) => {
                let handshake = tokio::select! {
                    h = acceptor.accept(stream) => h,
                    _ = stopped.wait_for(|s| *s) => return,
                };
                if let Ok(stream) = handshake {
                    run!(stream);
                }
            }
            None => run!(stream),
        }
    }
}

/// A connection moved off the runtime, for a connection thread.
struct Handoff {
    stream: std::net::TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    handler: Arc<dyn Handler>,
    stopped: watch::Receiver<bool>,
}

/// The threads that serve one connection at a time each, and connections waiting for an idle one.
#[derive(Default)]
struct ConnectionThreads {
    state: Mutex<ThreadsState>,
    /// Idle threads wait here for a connection (or the end).
    ready: Condvar,
    /// A thread ended.
    ended: Condvar,
}

#[derive(Default)]
struct ThreadsState {
    pending: VecDeque<Handoff>,
    idle: usize,
    total: usize,
    stopping: bool,
}

impl ConnectionThreads {
    fn lock(&self) -> MutexGuard<'_, ThreadsState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives `connection` to an idle thread or a new one; hands it back when all
    /// [`MAX_CONNECTION_THREADS`] are busy (or a thread cannot be started).
    fn offer(threads: &Arc<Self>, connection: Connection) -> Result<(), Connection> {
        let mut st = threads.lock();
        let to_idle = st.idle > st.pending.len();
        if st.stopping || (!to_idle && st.total >= MAX_CONNECTION_THREADS) {
            return Err(connection);
        }
        let Connection {
            stream,
            peer,
            tls,
            handler,
            stopped,
        } = connection;
        // Deregistered from this runtime; a connection thread registers it with its own.
        let Ok(stream) = stream.into_std() else {
            return Ok(());
        };
        let handoff = Handoff {
            stream,
            peer,
            tls,
            handler,
            stopped,
        };
        if to_idle {
            st.pending.push_back(handoff);
            threads.ready.notify_one();
            return Ok(());
        }
        st.total += 1;
        drop(st);
        let spawned = std::thread::Builder::new()
            .name("mudroom-conn".to_owned())
            .spawn({
                let threads = Arc::clone(threads);
                move || connection_thread(&threads, handoff)
            });
        match spawned {
            Ok(_) => Ok(()),
            Err(e) => {
                threads.lock().total -= 1;
                // The connection went with the closure; nothing to hand back.
                eprintln!("services endpoint: cannot start a connection thread: {e}");
                Ok(())
            }
        }
    }

    /// The next connection for an idle thread, or `None` after [`IDLE_THREAD_KEEP`] or when
    /// stopping.
    fn next(&self) -> Option<Handoff> {
        let deadline = Instant::now() + IDLE_THREAD_KEEP;
        let mut st = self.lock();
        st.idle += 1;
        let next = loop {
            if let Some(handoff) = st.pending.pop_front() {
                break Some(handoff);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if st.stopping || left.is_zero() {
                break None;
            }
            st = self
                .ready
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        };
        st.idle -= 1;
        next
    }

    /// Tells idle threads to end and turns new connections away.
    fn stop(&self) {
        self.lock().stopping = true;
        self.ready.notify_all();
    }

    /// Waits until every thread has ended, or `timeout` has passed.
    fn wait_until_done(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if st.total == 0 || left.is_zero() {
                return;
            }
            st = self
                .ended
                .wait_timeout(st, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// A connection thread: serves `first`, then each connection handed to it while it is idle.
fn connection_thread(threads: &ConnectionThreads, first: Handoff) {
    /// Counts the thread out however it ends.
    struct Ended<'a>(&'a ConnectionThreads);
    impl Drop for Ended<'_> {
        fn drop(&mut self) {
            self.0.lock().total -= 1;
            self.0.ended.notify_all();
        }
    }
    let _ended = Ended(threads);
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    else {
        return;
    };
    let mut next = Some(first);
    while let Some(handoff) = next.take() {
        runtime.block_on(async move {
            let Ok(stream) = TcpStream::from_std(handoff.stream) else {
                return;
            };
            let connection = Connection {
                stream,
                peer: handoff.peer,
                tls: handoff.tls,
                handler: handoff.handler,
                stopped: handoff.stopped,
            };
            connection.serve(Calls::InPlace).await;
        });
        next = threads.next();
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
    calls: Calls,
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
    let outcome = match calls {
        Calls::InPlace => std::panic::catch_unwind(AssertUnwindSafe(|| handler.handle(&request)))
            .map(|result| (request, result))
            .map_err(|_| ()),
        Calls::Blocking => tokio::task::spawn_blocking(move || {
            let result = handler.handle(&request);
            (request, result)
        })
        .await
        .map_err(|_| ()),
    };
    match outcome {
        Ok((request, Ok(output))) => output_response(output, &request),
        Ok((request, Err(e))) => {
            error_response(&e, request.route.protocol, &request.info.request_id)
        }
        Err(()) => {
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

#[cfg(test)]
mod tests {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    use std::sync::mpsc;

    use super::*;

    /// Answers `{"thread": NAME}`; `Panic` panics; `Slow` says it started, then waits for a
    /// release.
    struct Echo {
        started: Mutex<mpsc::Sender<()>>,
        release: Mutex<mpsc::Receiver<()>>,
        finished: Arc<std::sync::atomic::AtomicBool>,
    }

    impl Handler for Echo {
        fn handle(&self, request: &ServiceRequest) -> Result<Output, ServiceError> {
            match request.route.operation.as_str() {
                "Panic" => panic!("a handler bug"),
                "Slow" => {
                    self.started.lock().unwrap().send(()).unwrap();
                    self.release.lock().unwrap().recv().unwrap();
                    self.finished.store(true, Ordering::SeqCst);
                }
                _ => {}
            }
            let thread = std::thread::current().name().unwrap_or_default().to_owned();
            Ok(Output::Json(serde_json::json!({ "thread": thread })))
        }
    }

    struct Server {
        addr: SocketAddr,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        done: mpsc::Receiver<()>,
        started: mpsc::Receiver<()>,
        release: mpsc::Sender<()>,
        finished: Arc<std::sync::atomic::AtomicBool>,
    }

    fn start() -> Server {
        let (started_tx, started) = mpsc::channel();
        let (release, release_rx) = mpsc::channel();
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let handler: Arc<dyn Handler> = Arc::new(Echo {
            started: Mutex::new(started_tx),
            release: Mutex::new(release_rx),
            finished: Arc::clone(&finished),
        });
        let (addr_tx, addr_rx) = mpsc::channel();
        let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (done_tx, done) = mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                serve(listener, None, handler, async {
                    let _ = stop_rx.await;
                })
                .await;
            });
            done_tx.send(()).unwrap();
        });
        Server {
            addr: addr_rx.recv().unwrap(),
            stop: Some(stop),
            done,
            started,
            release,
            finished,
        }
    }

    /// Sends one call for `operation` and reads the answer: status and body.
    fn call(stream: &mut BufReader<std::net::TcpStream>, operation: &str) -> (u16, String) {
        send(stream.get_mut(), operation);
        read_answer(stream)
    }

    fn send(stream: &mut std::net::TcpStream, operation: &str) {
        write!(
            stream,
            "POST / HTTP/1.1\r\nHost: test\r\nX-Amz-Target: secretsmanager.{operation}\r\n\
             Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{{}}"
        )
        .unwrap();
    }

    fn read_answer(stream: &mut BufReader<std::net::TcpStream>) -> (u16, String) {
        let mut status = String::new();
        stream.read_line(&mut status).unwrap();
        let code = status.split(' ').nth(1).unwrap().parse().unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).unwrap();
        (code, String::from_utf8(body).unwrap())
    }

    fn connect(addr: SocketAddr) -> BufReader<std::net::TcpStream> {
        let stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        BufReader::new(stream)
    }

    impl Server {
        fn stop(&mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            self.done
                .recv_timeout(Duration::from_secs(60))
                .expect("the endpoint stopped");
        }
    }

    #[test]
    fn connections_beyond_the_thread_limit_are_served_on_the_runtime() {
        let mut server = start();
        let n = MAX_CONNECTION_THREADS + 8;
        // All open at once, so the first MAX_CONNECTION_THREADS hold every thread.
        let mut conns: Vec<_> = (0..n).map(|_| connect(server.addr)).collect();
        let mut on_threads = 0;
        for round in 0..2 {
            for c in &mut conns {
                send(c.get_mut(), "GetSecretValue");
            }
            for c in &mut conns {
                let (status, body) = read_answer(c);
                assert_eq!(status, 200, "round {round}: {body}");
                if body.contains("\"mudroom-conn\"") {
                    on_threads += 1;
                }
            }
        }
        assert_eq!(on_threads, 2 * MAX_CONNECTION_THREADS);
        drop(conns);
        // A later connection gets a connection thread again.
        let mut c = connect(server.addr);
        let (status, body) = call(&mut c, "GetSecretValue");
        assert_eq!(
            (status, body.as_str()),
            (200, "{\"thread\":\"mudroom-conn\"}")
        );
        drop(c);
        server.stop();
    }

    #[test]
    fn a_panicking_call_answers_500_and_the_connection_goes_on() {
        let mut server = start();
        let mut c = connect(server.addr);
        let (status, body) = call(&mut c, "Panic");
        assert_eq!(status, 500, "{body}");
        assert!(body.contains("could not be completed"), "{body}");
        let (status, _) = call(&mut c, "GetSecretValue");
        assert_eq!(status, 200);
        drop(c);
        server.stop();
    }

    #[test]
    fn stopping_lets_the_call_in_progress_finish() {
        let mut server = start();
        let mut c = connect(server.addr);
        send(c.get_mut(), "Slow");
        server.started.recv().unwrap();
        let _ = server.stop.take().unwrap().send(());
        server.release.send(()).unwrap();
        // The endpoint returns only after the call in progress has finished.
        server.stop();
        assert!(server.finished.load(Ordering::SeqCst));
        let (status, body) = read_answer(&mut c);
        assert_eq!(status, 200, "{body}");
        // The connection was closed after its call.
        let mut rest = Vec::new();
        assert_eq!(c.read_to_end(&mut rest).unwrap(), 0);
    }
}
