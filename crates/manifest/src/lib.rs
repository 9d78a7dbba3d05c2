//! mudroom's app manifest, `mudroom.toml`: the app, its functions, their execution roles and the
//! HTTP routes in front of them.
//!
//! [`Manifest::load`] reads the manifest and the policy files it names and validates
//! everything a user can get wrong, reporting every error (not just the first) as
//! `file:line:column: what is wrong`. Policy files are parsed and linted with
//! `mudroom-policy`: lint errors refuse the manifest, warnings are kept in
//! [`Manifest::warnings`]. The crate does no network I/O; it reads only the manifest, the
//! policy files and the metadata of the code directories and handlers it names.
//!
//! ```
//! use mudroom_manifest::{Manifest, Runtime};
//!
//! let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/quickstart");
//! let manifest = Manifest::load(dir.join("mudroom.toml")).unwrap();
//! assert_eq!(manifest.app.name, "quickstart");
//! let hello = &manifest.functions["hello"];
//! assert_eq!(hello.runtime, Runtime::Python3);
//! let (route, params) = manifest.match_route("GET", "/hello/ada").unwrap();
//! assert_eq!(route.function, "hello");
//! assert_eq!(params["name"], "ada");
//! ```
//!
//! The keys are documented in `docs/manifest.md`; route precedence in [`route`].

mod check;
mod diag;
mod files;
pub mod route;
mod values;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use diag::{Diagnostic, Location, ManifestError, PolicySource, Severity};
pub use files::MAX_MANIFEST_BYTES;
pub use route::{Method, Params, RouteError, RoutePattern, Segment};
pub use values::{
    DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT, Egress, EgressHost, MAX_ENVIRONMENT_BYTES, MAX_MEMORY_MIB,
    MAX_RESERVED_CONCURRENCY, MAX_TIMEOUT, MIN_MEMORY_MIB, MIN_TIMEOUT, RESERVED_ENVIRONMENT,
    parse_duration, parse_memory,
};

/// The name a manifest has in messages from [`Manifest::parse`].
pub const MANIFEST_FILE: &str = "mudroom.toml";

/// A validated manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The manifest file: the path given to [`Manifest::load`], or `base_dir/mudroom.toml`
    /// for [`Manifest::parse`].
    pub file: PathBuf,
    /// The app directory, canonical: where relative paths start, and what they may not leave.
    pub dir: PathBuf,
    /// `[app]`.
    pub app: App,
    /// `[functions.NAME]`, by name.
    pub functions: BTreeMap<String, Function>,
    /// `[roles.NAME]`, by name.
    pub roles: BTreeMap<String, Role>,
    /// `[[routes]]`, in file order.
    pub routes: Vec<Route>,
    /// Warnings and suggestions, from the manifest and from linting its policies, in file
    /// order.
    pub warnings: Vec<Diagnostic>,
}

/// `[app]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct App {
    /// 1 to 40 characters of `a-z`, `0-9` and `-`, not starting or ending with `-`.
    pub name: String,
}

/// A function's language runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// `python3`: the handler is `module.function`.
    Python3,
    /// `nodejs`: the handler is `module.function`.
    Nodejs,
    /// `provided`: the handler is the bootstrap executable, a path in the code directory.
    Provided,
}

impl Runtime {
    /// Every runtime.
    pub const ALL: [Runtime; 3] = [Runtime::Python3, Runtime::Nodejs, Runtime::Provided];

    /// The name the manifest uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Runtime::Python3 => "python3",
            Runtime::Nodejs => "nodejs",
            Runtime::Provided => "provided",
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `[functions.NAME]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The key in `[functions]`: 1 to 64 letters, digits, `-` and `_`.
    pub name: String,
    /// The language runtime.
    pub runtime: Runtime,
    /// `module.function` for `python3` and `nodejs`; for `provided`, the bootstrap
    /// executable's path relative to the code directory (default `bootstrap`).
    pub handler: String,
    /// The code directory, absolute and canonical, inside the app directory.
    pub code: PathBuf,
    /// The execution role, a key of [`Manifest::roles`].
    pub role: String,
    /// How long one invocation may run, 100ms to 900s; default 3s.
    pub timeout: Duration,
    /// Memory in MiB, 128 to 10240; default 128.
    pub memory_mib: u32,
    /// Concurrent executions reserved for (and the most allowed to) the function, 0 to 1000;
    /// `None` when not given.
    pub reserved_concurrency: Option<u32>,
    /// Environment variables.
    pub environment: BTreeMap<String, String>,
    /// Names of the secrets the function reads at run time.
    pub secrets: Vec<String>,
    /// Where the function may connect; nowhere when empty.
    pub egress: Vec<Egress>,
}

/// `[roles.NAME]`: an execution role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The key in `[roles]`: 1 to 64 letters, digits and `+=,.@_-`.
    pub name: String,
    /// The identity policies: each file's canonical path and its text, in manifest order.
    pub policies: Vec<(PathBuf, String)>,
    /// The permissions boundary, if any: its canonical path and text.
    pub boundary: Option<(PathBuf, String)>,
}

/// `[[routes]]`: an HTTP route to a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The method and path, or `$default`.
    pub pattern: RoutePattern,
    /// The function it invokes, a key of [`Manifest::functions`].
    pub function: String,
}

impl Manifest {
    /// Reads and validates the manifest at `path`, relative paths in it starting at the
    /// directory holding it, and reads the policy files it names. Every error is in the
    /// [`ManifestError`]; messages name the manifest as `path` is written.
    pub fn load(path: impl AsRef<Path>) -> Result<Manifest, ManifestError> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let text =
            files::read_text(path, &shown, "manifest", MAX_MANIFEST_BYTES).map_err(|message| {
                ManifestError {
                    diagnostics: vec![Diagnostic {
                        severity: Severity::Error,
                        file: shown.clone(),
                        location: None,
                        message,
                        policy: None,
                    }],
                }
            })?;
        check::check(&text, &dir, path, &shown)
    }

    /// Validates manifest text as if it were `base_dir/mudroom.toml` (messages name it
    /// `mudroom.toml`), reading the policy files it names from `base_dir`.
    pub fn parse(text: &str, base_dir: impl AsRef<Path>) -> Result<Manifest, ManifestError> {
        let base_dir = base_dir.as_ref();
        check::check(text, base_dir, &base_dir.join(MANIFEST_FILE), MANIFEST_FILE)
    }

    /// The route that wins for a request, with its parameters (see [`route`] for the
    /// precedence); `None` when no route matches.
    pub fn match_route(&self, method: &str, path: &str) -> Option<(&Route, Params)> {
        route::select(self.routes.iter().map(|r| (&r.pattern, r)), method, path)
    }
}
