//! Validation: walks the spanned TOML tree, collects every diagnostic, and builds the typed
//! manifest when there is no error.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use mudroom_policy::{MAX_DOCUMENT_BYTES, ParseOptions, PolicyKind, lint_text};
use toml::Spanned;
use toml::de::{DeString, DeTable, DeValue};

use crate::diag::{Locator, closest, one_of};
use crate::files::{bad_symlinks, is_executable, read_text, resolve_inside};
use crate::route::RoutePattern;
use crate::values::{
    DEFAULT_MEMORY_MIB, DEFAULT_TIMEOUT, Egress, MAX_ENVIRONMENT_BYTES, MAX_RESERVED_CONCURRENCY,
    MAX_TIMEOUT, MIN_TIMEOUT, check_app_name, check_environment_name, check_function_name,
    check_role_name, check_secret_name, looks_secret, parse_duration, parse_memory,
};
use crate::{
    App, Diagnostic, Function, Manifest, ManifestError, PolicySource, Role, Route, Runtime,
    Severity,
};

type Span = Range<usize>;
type Val<'i> = Spanned<DeValue<'i>>;
type Key<'i> = Spanned<DeString<'i>>;

const TOP_KEYS: &[&str] = &["app", "functions", "roles", "routes"];
const APP_KEYS: &[&str] = &["name", "waf_acl"];
const FUNCTION_KEYS: &[&str] = &[
    "runtime",
    "handler",
    "code",
    "role",
    "timeout",
    "memory",
    "reserved_concurrency",
    "environment",
    "secrets",
    "egress",
];
const ROLE_KEYS: &[&str] = &["policies", "permissions_boundary"];
const ROUTE_KEYS: &[&str] = &["route", "function", "waf"];

/// Validates `text`, the manifest at `file` (shown as `shown`), with relative paths starting
/// at `base_dir`.
pub(crate) fn check(
    text: &str,
    base_dir: &Path,
    file: &Path,
    shown: &str,
) -> Result<Manifest, ManifestError> {
    let mut c = Checker {
        text,
        file: shown.to_string(),
        locator: Locator::new(text),
        base: None,
        diags: Vec::new(),
    };
    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        for e in errors {
            c.syntax(&e);
        }
        return Err(c.into_error());
    }
    match fs::canonicalize(base_dir) {
        Ok(b) if b.is_dir() => c.base = Some(b),
        Ok(_) => c.unlocated(format!(
            "the app directory `{}` is not a directory",
            base_dir.display()
        )),
        Err(e) => c.unlocated(format!(
            "cannot read the app directory `{}`: {}",
            base_dir.display(),
            crate::files::reason(&e)
        )),
    }
    let parts = c.document(doc.get_ref());
    let has_errors = c.diags.iter().any(|(_, d)| d.is_error());
    match (parts, c.base.clone(), has_errors) {
        (Some((app, functions, roles, routes)), Some(dir), false) => {
            let warnings = c.sorted();
            Ok(Manifest {
                file: file.to_path_buf(),
                dir,
                app,
                functions,
                roles,
                routes,
                warnings,
            })
        }
        (_, _, true) => Err(c.into_error()),
        _ => {
            c.unlocated("the manifest could not be read".to_string());
            Err(c.into_error())
        }
    }
}

type Parts = (
    App,
    BTreeMap<String, Function>,
    BTreeMap<String, Role>,
    Vec<Route>,
);

struct Checker<'t> {
    text: &'t str,
    file: String,
    locator: Locator<'t>,
    base: Option<PathBuf>,
    /// Diagnostics with the byte offset they sort by; `None` for unlocated ones, which come
    /// first.
    diags: Vec<(Option<usize>, Diagnostic)>,
}

/// The known keys of a table, after unknown ones were reported.
struct Fields<'a, 'i> {
    entries: Vec<(&'a Key<'i>, &'a Val<'i>)>,
}

impl<'a, 'i> Fields<'a, 'i> {
    fn get(&self, name: &str) -> Option<(&'a Key<'i>, &'a Val<'i>)> {
        self.entries
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == name)
            .copied()
    }

    fn value(&self, name: &str) -> Option<&'a Val<'i>> {
        self.get(name).map(|(_, v)| v)
    }
}

/// `a string`, `an integer`...
fn article(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "an integer",
        DeValue::Float(_) => "a float",
        DeValue::Boolean(_) => "a boolean",
        DeValue::Datetime(_) => "a datetime",
        DeValue::Array(_) => "an array",
        DeValue::Table(_) => "a table",
    }
}

impl<'t> Checker<'t> {
    fn push(
        &mut self,
        severity: Severity,
        span: Span,
        message: String,
        policy: Option<PolicySource>,
    ) {
        let location = Some(self.locator.locate(span.start));
        self.diags.push((
            Some(span.start),
            Diagnostic {
                severity,
                file: self.file.clone(),
                location,
                message,
                policy,
            },
        ));
    }

    fn error(&mut self, span: Span, message: String) {
        self.push(Severity::Error, span, message, None);
    }

    fn warn(&mut self, span: Span, message: String) {
        self.push(Severity::Warning, span, message, None);
    }

    fn unlocated(&mut self, message: String) {
        self.diags.push((
            None,
            Diagnostic {
                severity: Severity::Error,
                file: self.file.clone(),
                location: None,
                message,
                policy: None,
            },
        ));
    }

    fn sorted(&mut self) -> Vec<crate::Diagnostic> {
        let mut diags = std::mem::take(&mut self.diags);
        diags.sort_by_key(|(offset, _)| *offset);
        diags.into_iter().map(|(_, d)| d).collect()
    }

    fn into_error(mut self) -> ManifestError {
        ManifestError {
            diagnostics: self.sorted(),
        }
    }

    fn syntax(&mut self, e: &toml::de::Error) {
        let span = e.span().unwrap_or(0..0);
        let mut message = e.message().to_string();
        if let Some(first) = message.get(..1) {
            message = first.to_lowercase() + message.get(1..).unwrap_or_default();
        }
        if message == "duplicate key"
            && let Some(key) = self.text.get(span.clone())
        {
            message = format!("duplicate key `{key}`");
        }
        self.error(span, message);
    }

    /// The byte offset in the source of byte `offset` of a string value spanning `span`, when
    /// the source writes it without escapes; else the start of the value.
    fn inner_offset(&self, span: &Span, value: &str, offset: usize) -> usize {
        let raw = self.text.get(span.clone()).unwrap_or_default();
        for quote in [3, 1] {
            if raw.len() >= 2 * quote && raw.get(quote..raw.len() - quote) == Some(value) {
                return span.start + quote + offset;
            }
        }
        span.start
    }

    fn fields<'a, 'i>(
        &mut self,
        table: &'a DeTable<'i>,
        known: &[&str],
        context: &str,
    ) -> Fields<'a, 'i> {
        let mut entries = Vec::new();
        for (k, v) in table.iter() {
            let name = k.get_ref().as_ref();
            if known.contains(&name) {
                entries.push((k, v));
            } else {
                let message = match closest(name, known) {
                    Some(s) => format!("unknown key `{name}` {context}, did you mean `{s}`?"),
                    None => format!("unknown key `{name}` {context}, expected {}", one_of(known)),
                };
                self.error(k.span(), message);
            }
        }
        Fields { entries }
    }

    fn required<'a, 'i>(
        &mut self,
        fields: &Fields<'a, 'i>,
        key: &str,
        at: Span,
        context: &str,
    ) -> Option<&'a Val<'i>> {
        let v = fields.value(key);
        if v.is_none() {
            self.error(at, format!("missing `{key}` in `{context}`"));
        }
        v
    }

    fn string<'a>(&mut self, key: &str, v: &'a Val<'_>, like: &str) -> Option<&'a str> {
        match v.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            other => {
                self.error(
                    v.span(),
                    format!("`{key}` must be a string{like}, not {}", article(other)),
                );
                None
            }
        }
    }

    /// The strings of an array, with their spans; reports what is not one.
    fn strings<'a>(&mut self, key: &str, v: &'a Val<'_>) -> Option<Vec<(&'a str, Span)>> {
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "`{key}` must be an array of strings, not {}",
                    article(v.get_ref())
                ),
            );
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => out.push((s.as_ref(), item.span())),
                other => {
                    ok = false;
                    self.error(
                        item.span(),
                        format!("`{key}` must hold strings, not {}", article(other)),
                    );
                }
            }
        }
        ok.then_some(out)
    }

    fn document(&mut self, doc: &DeTable<'_>) -> Option<Parts> {
        let top = self.fields(doc, TOP_KEYS, "at the top level");
        let app = match top.get("app") {
            Some((k, v)) => self.app(k, v),
            None => {
                self.error(0..0, "missing `[app]` table".to_string());
                None
            }
        };
        let functions_table = top
            .value("functions")
            .and_then(|v| self.table_of_tables(v, "functions"));
        let roles_table = top
            .value("roles")
            .and_then(|v| self.table_of_tables(v, "roles"));
        let role_names: Vec<&str> = roles_table
            .map(|t| t.iter().map(|(k, _)| k.get_ref().as_ref()).collect())
            .unwrap_or_default();
        let function_names: Vec<&str> = functions_table
            .map(|t| t.iter().map(|(k, _)| k.get_ref().as_ref()).collect())
            .unwrap_or_default();

        let mut used_roles = BTreeSet::new();
        let mut functions = BTreeMap::new();
        let mut all_ok = true;
        for (k, v) in functions_table.map(|t| t.iter()).into_iter().flatten() {
            match self.function(k, v, &role_names, &mut used_roles) {
                Some(f) => {
                    functions.insert(f.name.clone(), f);
                }
                None => all_ok = false,
            }
        }
        if functions_table.is_none_or(|t| t.is_empty()) {
            let at = top.get("functions").map_or(0..0, |(k, _)| k.span());
            self.warn(
                at,
                "the app has no functions: add one as `[functions.NAME]`".to_string(),
            );
        }

        let mut roles = BTreeMap::new();
        for (k, v) in roles_table.map(|t| t.iter()).into_iter().flatten() {
            let name = k.get_ref().as_ref();
            if !used_roles.contains(name) && matches!(v.get_ref(), DeValue::Table(_)) {
                self.warn(
                    k.span(),
                    format!("role `{name}` is not the role of any function"),
                );
            }
            match self.role(k, v) {
                Some(r) => {
                    roles.insert(r.name.clone(), r);
                }
                None => all_ok = false,
            }
        }

        let routes = match top.value("routes") {
            Some(v) => self.routes(v, &function_names),
            None => Some(Vec::new()),
        };
        let app = app?;
        let routes = routes?;
        all_ok.then_some((app, functions, roles, routes))
    }

    fn table_of_tables<'a, 'i>(&mut self, v: &'a Val<'i>, key: &str) -> Option<&'a DeTable<'i>> {
        match v.get_ref() {
            DeValue::Table(t) => Some(t),
            other => {
                self.error(
                    v.span(),
                    format!(
                        "`{key}` must be a table of tables like `[{key}.NAME]`, not {}",
                        article(other)
                    ),
                );
                None
            }
        }
    }

    fn app(&mut self, k: &Key<'_>, v: &Val<'_>) -> Option<App> {
        let DeValue::Table(t) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "`app` must be a table: write `[app]`, not {}",
                    article(v.get_ref())
                ),
            );
            return None;
        };
        let f = self.fields(t, APP_KEYS, "in `[app]`");
        if let Some((key, _)) = f.get("waf_acl") {
            self.error(
                key.span(),
                "`waf_acl` is not supported yet: web ACLs come with the perimeter".to_string(),
            );
        }
        let v = self.required(&f, "name", k.span(), "[app]")?;
        let name = self.string("name", v, "")?;
        if let Err(m) = check_app_name(name) {
            self.error(v.span(), m);
            return None;
        }
        Some(App {
            name: name.to_string(),
        })
    }

    fn function(
        &mut self,
        k: &Key<'_>,
        v: &Val<'_>,
        roles: &[&str],
        used_roles: &mut BTreeSet<String>,
    ) -> Option<Function> {
        let name = k.get_ref().as_ref();
        let name_ok = match check_function_name(name) {
            Ok(()) => true,
            Err(m) => {
                self.error(k.span(), m);
                false
            }
        };
        let context = format!("[functions.{name}]");
        let DeValue::Table(t) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "function `{name}` must be a table: write `{context}`, not {}",
                    article(v.get_ref())
                ),
            );
            return None;
        };
        let f = self.fields(t, FUNCTION_KEYS, &format!("in `{context}`"));

        let runtime = self
            .required(&f, "runtime", k.span(), &context)
            .and_then(|v| self.runtime(v));
        let code = self
            .required(&f, "code", k.span(), &context)
            .and_then(|v| self.code_dir(v));
        let handler = self.handler(
            runtime,
            f.value("handler"),
            code.as_ref(),
            k.span(),
            &context,
        );
        let role = self
            .required(&f, "role", k.span(), &context)
            .and_then(|v| self.role_ref(v, roles));
        if let Some(r) = &role {
            used_roles.insert(r.clone());
        }
        let timeout = match f.value("timeout") {
            None => Some(DEFAULT_TIMEOUT),
            Some(v) => self.timeout(v),
        };
        let memory_mib = match f.value("memory") {
            None => Some(DEFAULT_MEMORY_MIB),
            Some(v) => self
                .string("memory", v, " like `512MiB`")
                .and_then(|s| parse_memory(s).map_err(|m| self.error(v.span(), m)).ok()),
        };
        let reserved_concurrency = match f.value("reserved_concurrency") {
            None => Some(None),
            Some(v) => self.concurrency(name, v).map(Some),
        };
        let environment = match f.value("environment") {
            None => Some(BTreeMap::new()),
            Some(v) => self.environment(name, v),
        };
        let secrets = match f.value("secrets") {
            None => Some(Vec::new()),
            Some(v) => self.secrets(v),
        };
        let egress = match f.value("egress") {
            None => Some(Vec::new()),
            Some(v) => self.egress(v),
        };
        if !name_ok {
            return None;
        }
        Some(Function {
            name: name.to_string(),
            runtime: runtime?,
            handler: handler?,
            code: code?.0,
            role: role?,
            timeout: timeout?,
            memory_mib: memory_mib?,
            reserved_concurrency: reserved_concurrency?,
            environment: environment?,
            secrets: secrets?,
            egress: egress?,
        })
    }

    fn runtime(&mut self, v: &Val<'_>) -> Option<Runtime> {
        let s = self.string("runtime", v, " like `python3`")?;
        if let Some(r) = Runtime::ALL.into_iter().find(|r| r.as_str() == s) {
            return Some(r);
        }
        let names: Vec<&str> = Runtime::ALL.iter().map(|r| r.as_str()).collect();
        let message = match closest(s, &names) {
            Some(n) => format!("unknown runtime `{s}`, did you mean `{n}`?"),
            None => format!("unknown runtime `{s}`, expected {}", one_of(&names)),
        };
        self.error(v.span(), message);
        None
    }

    /// The code directory: canonical path and the text the manifest gives.
    fn code_dir(&mut self, v: &Val<'_>) -> Option<(PathBuf, String)> {
        let rel = self.string("code", v, " naming a directory")?;
        let base = self.base.clone()?;
        let path = match resolve_inside(&base, rel, "code directory") {
            Ok(p) => p,
            Err(m) => {
                self.error(v.span(), m);
                return None;
            }
        };
        if !path.is_dir() {
            self.error(
                v.span(),
                format!("code directory `{rel}` is not a directory"),
            );
            return None;
        }
        for problem in bad_symlinks(&path, &base) {
            self.error(v.span(), format!("code directory `{rel}`: {problem}"));
        }
        Some((path, rel.to_string()))
    }

    fn handler(
        &mut self,
        runtime: Option<Runtime>,
        value: Option<&Val<'_>>,
        code: Option<&(PathBuf, String)>,
        header: Span,
        context: &str,
    ) -> Option<String> {
        let (text, span) = match value {
            Some(v) => (self.string("handler", v, "")?, v.span()),
            None if runtime == Some(Runtime::Provided) => ("bootstrap", header),
            None => {
                self.error(header, format!("missing `handler` in `{context}`"));
                return None;
            }
        };
        let runtime = runtime?;
        let candidates = match handler_files(runtime, text) {
            Ok(c) => c,
            Err(m) => {
                self.error(span, m);
                return None;
            }
        };
        let Some((dir, rel)) = code else {
            return Some(text.to_string());
        };
        let found = candidates.iter().map(|c| dir.join(c)).find(|p| p.is_file());
        match (runtime, found) {
            (Runtime::Provided, Some(path)) => {
                if !is_executable(&path) {
                    self.error(
                        span,
                        format!(
                            "handler `{text}` is not executable: run `chmod +x {}`",
                            Path::new(rel).join(text).display()
                        ),
                    );
                    return None;
                }
            }
            (Runtime::Provided, None) => {
                self.error(
                    span,
                    format!("handler `{text}` is not a file in code directory `{rel}`"),
                );
                return None;
            }
            (_, Some(_)) => {}
            (_, None) => {
                let tried: Vec<String> =
                    candidates.iter().map(|c| c.display().to_string()).collect();
                let tried: Vec<&str> = tried.iter().map(String::as_str).collect();
                self.error(
                    span,
                    format!(
                        "handler `{text}`: code directory `{rel}` has no {}",
                        one_of(&tried)
                    ),
                );
                return None;
            }
        }
        Some(text.to_string())
    }

    fn role_ref(&mut self, v: &Val<'_>, roles: &[&str]) -> Option<String> {
        let s = self.string("role", v, " naming a `[roles.NAME]`")?;
        if roles.contains(&s) {
            return Some(s.to_string());
        }
        let message = match closest(s, roles) {
            Some(r) => format!("role `{s}` is not defined, did you mean `{r}`?"),
            None => format!("role `{s}` is not defined: add `[roles.{s}]`"),
        };
        self.error(v.span(), message);
        None
    }

    fn timeout(&mut self, v: &Val<'_>) -> Option<std::time::Duration> {
        let s = self.string("timeout", v, " like `3s`")?;
        match parse_duration(s) {
            Ok(d) if d < MIN_TIMEOUT => {
                self.error(v.span(), format!("timeout `{s}` is less than 100ms"));
                None
            }
            Ok(d) if d > MAX_TIMEOUT => {
                self.error(
                    v.span(),
                    format!("timeout `{s}` is more than 900s, the longest a function may run"),
                );
                None
            }
            Ok(d) => Some(d),
            Err(m) => {
                self.error(v.span(), m);
                None
            }
        }
    }

    fn concurrency(&mut self, function: &str, v: &Val<'_>) -> Option<u32> {
        let DeValue::Integer(i) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "`reserved_concurrency` must be an integer from 0 to {MAX_RESERVED_CONCURRENCY}, not {}",
                    article(v.get_ref())
                ),
            );
            return None;
        };
        let n = i64::from_str_radix(i.as_str(), i.radix()).ok();
        match n.filter(|n| (0..=MAX_RESERVED_CONCURRENCY).contains(n)) {
            Some(n) => {
                if n == 0 {
                    self.warn(
                        v.span(),
                        format!(
                            "`reserved_concurrency = 0` refuses every invocation of `{function}`"
                        ),
                    );
                }
                u32::try_from(n).ok()
            }
            None => {
                let shown = self.text.get(v.span()).unwrap_or_default();
                self.error(
                    v.span(),
                    format!(
                        "`reserved_concurrency` is `{shown}`, not from 0 to {MAX_RESERVED_CONCURRENCY}"
                    ),
                );
                None
            }
        }
    }

    fn environment(&mut self, function: &str, v: &Val<'_>) -> Option<BTreeMap<String, String>> {
        let DeValue::Table(t) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "`environment` must be a table like `{{ NAME = \"value\" }}`, not {}",
                    article(v.get_ref())
                ),
            );
            return None;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        let mut bytes = 0usize;
        for (k, value) in t.iter() {
            let name = k.get_ref().as_ref();
            if let Err(m) = check_environment_name(name) {
                self.error(k.span(), m);
                ok = false;
            }
            match value.get_ref() {
                DeValue::String(s) => {
                    bytes += name.len() + s.len();
                    if looks_secret(name) && !s.is_empty() {
                        self.warn(
                            k.span(),
                            format!(
                                "environment variable `{name}` looks like a secret: store it in the vault and list it in `secrets`"
                            ),
                        );
                    }
                    out.insert(name.to_string(), s.to_string());
                }
                other => {
                    self.error(
                        value.span(),
                        format!(
                            "environment variable `{name}` must be a string, not {}",
                            article(other)
                        ),
                    );
                    ok = false;
                }
            }
        }
        if bytes > MAX_ENVIRONMENT_BYTES {
            self.error(
                v.span(),
                format!(
                    "the environment of `{function}` is {bytes} bytes, more than {MAX_ENVIRONMENT_BYTES} (names and values together)"
                ),
            );
            ok = false;
        }
        ok.then_some(out)
    }

    fn secrets(&mut self, v: &Val<'_>) -> Option<Vec<String>> {
        let items = self.strings("secrets", v)?;
        let mut out: Vec<String> = Vec::new();
        let mut ok = true;
        for (s, span) in items {
            if let Err(m) = check_secret_name(s) {
                self.error(span, m);
                ok = false;
            } else if out.iter().any(|o| o == s) {
                self.error(span, format!("secret `{s}` is listed twice"));
                ok = false;
            } else {
                out.push(s.to_string());
            }
        }
        ok.then_some(out)
    }

    fn egress(&mut self, v: &Val<'_>) -> Option<Vec<Egress>> {
        let items = self.strings("egress", v)?;
        let mut out: Vec<Egress> = Vec::new();
        let mut ok = true;
        for (s, span) in items {
            match Egress::parse(s) {
                Ok(e) if out.contains(&e) => {
                    self.error(span, format!("egress `{s}` is listed twice"));
                    ok = false;
                }
                Ok(e) => out.push(e),
                Err(m) => {
                    self.error(span, m);
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    fn role(&mut self, k: &Key<'_>, v: &Val<'_>) -> Option<Role> {
        let name = k.get_ref().as_ref();
        let name_ok = match check_role_name(name) {
            Ok(()) => true,
            Err(m) => {
                self.error(k.span(), m);
                false
            }
        };
        let DeValue::Table(t) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "role `{name}` must be a table: write `[roles.{name}]`, not {}",
                    article(v.get_ref())
                ),
            );
            return None;
        };
        let f = self.fields(t, ROLE_KEYS, &format!("in `[roles.{name}]`"));
        let policies = match f.value("policies") {
            None => Some(Vec::new()),
            Some(v) => self.strings("policies", v).and_then(|items| {
                let mut out = Vec::new();
                let mut seen: Vec<&str> = Vec::new();
                let mut ok = true;
                for (rel, span) in items {
                    if seen.contains(&rel) {
                        self.error(span, format!("policy file `{rel}` is listed twice"));
                        ok = false;
                        continue;
                    }
                    seen.push(rel);
                    match self.policy_file(rel, span, "policy file", PolicyKind::Identity) {
                        Some(p) => out.push(p),
                        None => ok = false,
                    }
                }
                ok.then_some(out)
            }),
        };
        let boundary = match f.value("permissions_boundary") {
            None => Some(None),
            Some(v) => self
                .string("permissions_boundary", v, " naming a policy file")
                .and_then(|rel| {
                    self.policy_file(rel, v.span(), "permissions boundary", PolicyKind::Boundary)
                })
                .map(Some),
        };
        if !name_ok {
            return None;
        }
        Some(Role {
            name: name.to_string(),
            policies: policies?,
            boundary: boundary?,
        })
    }

    /// Reads and lints a policy file named at `span`; `None` when it cannot be read or has
    /// lint errors.
    fn policy_file(
        &mut self,
        rel: &str,
        span: Span,
        what: &str,
        kind: PolicyKind,
    ) -> Option<(PathBuf, String)> {
        let base = self.base.clone()?;
        let read = resolve_inside(&base, rel, what).and_then(|path| {
            let limit = u64::try_from(MAX_DOCUMENT_BYTES).unwrap_or(u64::MAX);
            read_text(&path, rel, what, limit).map(|text| (path, text))
        });
        let (path, text) = match read {
            Ok(x) => x,
            Err(m) => {
                self.error(span, m);
                return None;
            }
        };
        let mut ok = true;
        for finding in lint_text(&text, ParseOptions::new(kind)) {
            ok &= finding.severity != Severity::Error;
            let message = if finding.path.is_empty() {
                format!("{rel}: {}", finding.message)
            } else {
                format!("{rel}: {}: {}", finding.path, finding.message)
            };
            self.push(
                finding.severity,
                span.clone(),
                message,
                Some(PolicySource {
                    file: rel.to_string(),
                    path: finding.path,
                    code: finding.code,
                }),
            );
        }
        ok.then_some((path, text))
    }

    fn routes(&mut self, v: &Val<'_>, functions: &[&str]) -> Option<Vec<Route>> {
        let DeValue::Array(items) = v.get_ref() else {
            self.error(
                v.span(),
                format!(
                    "`routes` must be an array of tables: write `[[routes]]`, not {}",
                    article(v.get_ref())
                ),
            );
            return None;
        };
        let mut out: Vec<Route> = Vec::new();
        // every valid pattern with the offset of its value, for duplicates
        let mut seen: Vec<(RoutePattern, usize)> = Vec::new();
        let mut ok = true;
        for item in items.iter() {
            let DeValue::Table(t) = item.get_ref() else {
                self.error(
                    item.span(),
                    format!(
                        "each route must be a table like `{{ route = \"GET /\", function = \"hello\" }}`, not {}",
                        article(item.get_ref())
                    ),
                );
                ok = false;
                continue;
            };
            let f = self.fields(t, ROUTE_KEYS, "in `[[routes]]`");
            if let Some((key, _)) = f.get("waf") {
                self.error(
                    key.span(),
                    "`waf` is not supported yet: web ACLs come with the perimeter".to_string(),
                );
            }
            let pattern = self
                .required(&f, "route", item.span(), "[[routes]]")
                .and_then(|v| self.route_pattern(v));
            let function = self
                .required(&f, "function", item.span(), "[[routes]]")
                .and_then(|v| self.function_ref(v, functions));
            let Some((pattern, at)) = pattern else {
                ok = false;
                continue;
            };
            if let Some((first, first_at)) = seen.iter().find(|(p, _)| p.same_route(&pattern)) {
                let line = self.locator.locate(*first_at).line;
                let message = if *first == pattern {
                    format!("duplicate route `{pattern}`: it is also at line {line}")
                } else {
                    format!(
                        "duplicate route `{pattern}`: `{first}` at line {line} has the same method and path"
                    )
                };
                self.error(at..at, message);
                ok = false;
                continue;
            }
            seen.push((pattern.clone(), at));
            match function {
                Some(function) => out.push(Route { pattern, function }),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The parsed route and the offset of its value.
    fn route_pattern(&mut self, v: &Val<'_>) -> Option<(RoutePattern, usize)> {
        let s = self.string("route", v, " like `GET /hello`")?;
        match RoutePattern::parse(s) {
            Ok(p) => Some((p, v.span().start)),
            Err(e) => {
                let at = self.inner_offset(&v.span(), s, e.offset);
                self.error(at..at, e.message);
                None
            }
        }
    }

    fn function_ref(&mut self, v: &Val<'_>, functions: &[&str]) -> Option<String> {
        let s = self.string("function", v, " naming a `[functions.NAME]`")?;
        if functions.contains(&s) {
            return Some(s.to_string());
        }
        let message = match closest(s, functions) {
            Some(f) => format!("function `{s}` is not defined, did you mean `{f}`?"),
            None => format!("function `{s}` is not defined: add `[functions.{s}]`"),
        };
        self.error(v.span(), message);
        None
    }
}

/// The files a handler may live in, relative to the code directory, or why the handler is
/// malformed.
fn handler_files(runtime: Runtime, handler: &str) -> Result<Vec<PathBuf>, String> {
    let ident = |s: &str, extra: &[char]| {
        let mut chars = s.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || extra.contains(&c))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c))
    };
    match runtime {
        Runtime::Python3 => {
            let like = "like `app.handler`";
            let Some((module, function)) = handler.rsplit_once('.') else {
                return Err(format!(
                    "handler `{handler}` must be `module.function`, {like}"
                ));
            };
            if !ident(function, &[]) {
                return Err(format!(
                    "handler `{handler}`: `{function}` is not a Python function name"
                ));
            }
            let parts: Vec<&str> = module.split(['.', '/']).collect();
            if parts.iter().any(|p| !ident(p, &[])) {
                return Err(format!(
                    "handler `{handler}`: `{module}` is not a Python module path, {like}"
                ));
            }
            let path = parts.join("/");
            Ok(vec![
                PathBuf::from(format!("{path}.py")),
                PathBuf::from(format!("{path}/__init__.py")),
            ])
        }
        Runtime::Nodejs => {
            let like = "like `index.handler`";
            let dir_end = handler.rfind('/').map_or(0, |i| i + 1);
            let Some(dot) = handler
                .get(dir_end..)
                .and_then(|rest| rest.find('.'))
                .map(|i| i + dir_end)
            else {
                return Err(format!(
                    "handler `{handler}` must be `module.function`, {like}"
                ));
            };
            let module = handler.get(..dot).unwrap_or_default();
            let function = handler.get(dot + 1..).unwrap_or_default();
            let module_ok = module.split('/').all(|p| {
                !p.is_empty()
                    && p != ".."
                    && p.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            });
            if !module_ok {
                return Err(format!(
                    "handler `{handler}`: `{module}` is not a module path inside the code directory, {like}"
                ));
            }
            if !function.split('.').all(|p| ident(p, &['$'])) {
                return Err(format!(
                    "handler `{handler}`: `{function}` is not a JavaScript function name"
                ));
            }
            Ok(["js", "mjs", "cjs"]
                .iter()
                .map(|ext| PathBuf::from(format!("{module}.{ext}")))
                .collect())
        }
        Runtime::Provided => {
            let path = Path::new(handler);
            let inside =
                !handler.is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)));
            if !inside {
                return Err(format!(
                    "handler `{handler}` must be a path inside the code directory, like `bootstrap`"
                ));
            }
            Ok(vec![path.to_path_buf()])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_shapes() {
        let files = |r, h| {
            handler_files(r, h).map(|v| {
                v.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            files(Runtime::Python3, "app.handler").unwrap(),
            ["app.py", "app/__init__.py"]
        );
        assert_eq!(
            files(Runtime::Python3, "pkg.sub.mod.main").unwrap(),
            ["pkg/sub/mod.py", "pkg/sub/mod/__init__.py"]
        );
        assert_eq!(
            files(Runtime::Python3, "src/app.handler").unwrap(),
            ["src/app.py", "src/app/__init__.py"]
        );
        assert_eq!(
            files(Runtime::Nodejs, "src/index.handlers.main").unwrap(),
            ["src/index.js", "src/index.mjs", "src/index.cjs"]
        );
        assert_eq!(
            files(Runtime::Nodejs, "my-lib.v1/index.handler").unwrap_err(),
            "handler `my-lib.v1/index.handler`: `my-lib.v1/index` is not a module path inside the code directory, like `index.handler`"
        );
        assert_eq!(
            files(Runtime::Provided, "bin/bootstrap").unwrap(),
            ["bin/bootstrap"]
        );
        for (r, h, m) in [
            (
                Runtime::Python3,
                "app",
                "handler `app` must be `module.function`, like `app.handler`",
            ),
            (
                Runtime::Python3,
                "my-app.handler",
                "handler `my-app.handler`: `my-app` is not a Python module path, like `app.handler`",
            ),
            (
                Runtime::Python3,
                "app.",
                "handler `app.`: `` is not a Python function name",
            ),
            (
                Runtime::Python3,
                "../x.handler",
                "handler `../x.handler`: `../x` is not a Python module path, like `app.handler`",
            ),
            (
                Runtime::Nodejs,
                "index",
                "handler `index` must be `module.function`, like `index.handler`",
            ),
            (
                Runtime::Nodejs,
                "../index.handler",
                "handler `../index.handler`: `../index` is not a module path inside the code directory, like `index.handler`",
            ),
            (
                Runtime::Nodejs,
                "index.1x",
                "handler `index.1x`: `1x` is not a JavaScript function name",
            ),
            (
                Runtime::Provided,
                "../bootstrap",
                "handler `../bootstrap` must be a path inside the code directory, like `bootstrap`",
            ),
            (
                Runtime::Provided,
                "/bin/sh",
                "handler `/bin/sh` must be a path inside the code directory, like `bootstrap`",
            ),
            (
                Runtime::Provided,
                "",
                "handler `` must be a path inside the code directory, like `bootstrap`",
            ),
        ] {
            assert_eq!(files(r, h).unwrap_err(), m, "{h}");
        }
    }
}
