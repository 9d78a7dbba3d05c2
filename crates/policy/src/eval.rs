//! Evaluation: AWS's decision logic over every policy that applies to a request.
//!
//! ```text
//!  explicit Deny in any policy ───────────────────────────────▶ ExplicitDeny
//!    (a Deny with NotPrincipal applies to every caller with a permissions boundary)
//!  SCPs given and none allows ────────────────────────────────▶ ImplicitDeny
//!  RCPs given and none allows ────────────────────────────────▶ ImplicitDeny
//!  same account:
//!    resource policy names the caller (user / session ARN) ─────▶ Allow
//!    resource policy names everyone (*) ──── session policies allow ─▶ Allow
//!    resource policy names the caller's role ──── boundary and session policies allow ─▶ Allow
//!    identity allows, boundary allows, session policies allow ─▶ Allow
//!      (the account root user counts as allowed by its identity side)
//!      (kms keys and role trust: the resource policy must at least allow the account)
//!  cross account: both the identity side and the resource policy ─▶ Allow
//!  otherwise ─────────────────────────────────────────────────▶ ImplicitDeny
//! ```

use crate::arn::Arn;
use crate::compile::{CompiledPolicy, CompiledStatement, PrincipalEntry};
use crate::context::Context;
use crate::model::{Block, Effect, PrincipalKind};
use crate::parse::PolicyKind;

/// The outcome of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Some policy allows and nothing denies.
    Allow,
    /// A statement denies explicitly.
    ExplicitDeny,
    /// Nothing allows (default deny), or a guardrail does not allow.
    ImplicitDeny,
}

impl Decision {
    /// `Allow`, `ExplicitDeny` or `ImplicitDeny`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "Allow",
            Decision::ExplicitDeny => "ExplicitDeny",
            Decision::ImplicitDeny => "ImplicitDeny",
        }
    }

    /// True for `Allow`.
    pub fn is_allow(self) -> bool {
        self == Decision::Allow
    }
}

/// What kind of principal makes a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// The account root user.
    Root,
    /// An IAM user.
    User,
    /// An IAM role, named by its role ARN.
    Role,
    /// A role session (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
    AssumedRole,
    /// A federated user session.
    FederatedUser,
    /// An AWS service principal such as `lambda.amazonaws.com`.
    Service,
    /// An unauthenticated caller.
    Anonymous,
}

/// The principal making a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    arn: String,
    account: String,
    partition: String,
    kind: CallerKind,
    /// Role name for roles and role sessions; user name for users.
    name: String,
    /// Session name for role sessions.
    session: String,
}

impl Caller {
    /// Reads a principal ARN (`arn:aws:iam::1:user/x`, `arn:aws:sts::1:assumed-role/r/s`,
    /// `arn:aws:iam::1:root`, a 12-digit account, a service principal or `anonymous`).
    pub fn from_arn(arn: &str) -> Result<Self, String> {
        let bad = || format!("`{arn}` is not a principal ARN");
        let mut caller = Caller {
            arn: arn.to_string(),
            account: String::new(),
            partition: "aws".to_string(),
            kind: CallerKind::Anonymous,
            name: String::new(),
            session: String::new(),
        };
        if arn == "anonymous" || arn == "*" {
            return Ok(caller);
        }
        if arn.len() == 12 && arn.bytes().all(|b| b.is_ascii_digit()) {
            caller.account = arn.to_string();
            caller.arn = format!("arn:aws:iam::{arn}:root");
            caller.kind = CallerKind::Root;
            return Ok(caller);
        }
        if !arn.starts_with("arn:") && arn.ends_with(".amazonaws.com") {
            caller.kind = CallerKind::Service;
            caller.name = arn.to_string();
            return Ok(caller);
        }
        let parsed = Arn::parse(arn).ok_or_else(bad)?;
        if parsed.account.len() != 12 || !parsed.account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("`{arn}` has no 12-digit account id"));
        }
        caller.account = parsed.account.to_string();
        caller.partition = parsed.partition.to_string();
        let last = |s: &str| s.rsplit('/').next().unwrap_or_default().to_string();
        match (parsed.service, parsed.resource) {
            ("iam", "root") => caller.kind = CallerKind::Root,
            ("iam", r) if r.starts_with("user/") => {
                caller.kind = CallerKind::User;
                caller.name = last(r);
            }
            ("iam", r) if r.starts_with("role/") => {
                caller.kind = CallerKind::Role;
                caller.name = last(r);
            }
            ("sts", r) if r.starts_with("assumed-role/") => {
                let mut parts = r.splitn(3, '/').skip(1);
                caller.kind = CallerKind::AssumedRole;
                caller.name = parts.next().unwrap_or_default().to_string();
                caller.session = parts.next().unwrap_or_default().to_string();
                if caller.name.is_empty() || caller.session.is_empty() {
                    return Err(bad());
                }
            }
            ("sts" | "iam", r) if r.starts_with("federated-user/") => {
                caller.kind = CallerKind::FederatedUser;
                caller.name = last(r);
            }
            _ => return Err(bad()),
        }
        if caller.name.is_empty() && caller.kind != CallerKind::Root {
            return Err(bad());
        }
        Ok(caller)
    }

    /// The principal's ARN.
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// The principal's account (empty for services and anonymous callers).
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The kind of principal.
    pub fn kind(&self) -> CallerKind {
        self.kind
    }

    /// For role sessions, the role's ARN (without its path, which a session ARN does not carry).
    pub fn role_arn(&self) -> Option<String> {
        matches!(self.kind, CallerKind::AssumedRole | CallerKind::Role).then(|| {
            format!(
                "arn:{}:iam::{}:role/{}",
                self.partition, self.account, self.name
            )
        })
    }

    /// Fills the global keys that describe the principal, where the context lacks them:
    /// `aws:PrincipalArn`, `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:username`,
    /// `aws:userid` and `aws:PrincipalTag/*`.
    pub fn fill_context<'a>(
        &self,
        ctx: &mut Context,
        tags: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) {
        let principal_arn = self.role_arn().unwrap_or_else(|| self.arn.clone());
        if !matches!(self.kind, CallerKind::Anonymous | CallerKind::Service) {
            ctx.set_default("aws:PrincipalArn", principal_arn);
            ctx.set_default("aws:PrincipalAccount", self.account.clone());
        }
        let (ptype, userid) = match self.kind {
            CallerKind::Root => ("Account", self.account.clone()),
            CallerKind::User => ("User", self.name.clone()),
            CallerKind::Role => ("AssumedRole", self.name.clone()),
            CallerKind::AssumedRole => ("AssumedRole", format!("{}:{}", self.name, self.session)),
            CallerKind::FederatedUser => {
                ("FederatedUser", format!("{}:{}", self.account, self.name))
            }
            CallerKind::Service | CallerKind::Anonymous => ("Anonymous", String::new()),
        };
        if !matches!(self.kind, CallerKind::Service | CallerKind::Anonymous) {
            ctx.set_default("aws:PrincipalType", ptype);
            ctx.set_default("aws:userid", userid);
        }
        if self.kind == CallerKind::User {
            ctx.set_default("aws:username", self.name.clone());
        }
        for (key, value) in tags {
            ctx.set_default(&format!("aws:PrincipalTag/{key}"), value);
        }
    }
}

/// One request to authorize.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Who asks.
    pub caller: &'a Caller,
    /// `service:Action`.
    pub action: &'a str,
    /// The resource ARN, or `*`.
    pub resource: &'a str,
    /// The account owning the resource; `None` means the caller's own.
    pub resource_account: Option<&'a str>,
    /// Condition keys.
    pub context: &'a Context,
}

/// Every policy that applies to a request, by slot.
#[derive(Debug, Clone, Copy, Default)]
pub struct PolicySet<'a> {
    /// Identity-based policies of the principal (for a session: of its role).
    pub identity: &'a [CompiledPolicy],
    /// The resource's policy (the key policy for KMS, the trust policy for `sts:AssumeRole`).
    pub resource: Option<&'a CompiledPolicy>,
    /// The principal's permissions boundary.
    pub boundary: Option<&'a CompiledPolicy>,
    /// Session policies passed when the session was made; empty for none.
    pub session: &'a [CompiledPolicy],
    /// Service control policies; empty when none apply.
    pub scps: &'a [CompiledPolicy],
    /// Resource control policies; empty when none apply.
    pub rcps: &'a [CompiledPolicy],
}

/// How strongly a resource policy's principal names the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grant {
    None,
    /// The caller's account: defers to the caller's identity policies in the same account.
    Account,
    /// The role of a role session: limited by boundary and session policies.
    Role,
    /// Everyone (`*`): for a session, limited by its session policies, which yield only to a
    /// resource policy that "specifically references" the session.
    Anyone,
    /// The caller itself (user, session, service).
    Direct,
}

fn entry_grant(entry: &PrincipalEntry, caller: &Caller) -> Grant {
    let value = &*entry.value;
    match entry.kind {
        PrincipalKind::Aws => {
            if value == "*" {
                return Grant::Anyone;
            }
            if matches!(caller.kind, CallerKind::Service | CallerKind::Anonymous) {
                return Grant::None;
            }
            if value == caller.account {
                return Grant::Account;
            }
            let Some(arn) = Arn::parse(value) else {
                return Grant::None;
            };
            if arn.account != caller.account {
                return Grant::None;
            }
            match (arn.service, arn.resource) {
                ("iam", "root") => Grant::Account,
                ("iam", r) if r.starts_with("role/") => {
                    let name = r.rsplit('/').next().unwrap_or_default();
                    match caller.kind {
                        CallerKind::AssumedRole if name == caller.name => Grant::Role,
                        CallerKind::Role if name == caller.name => Grant::Direct,
                        _ => Grant::None,
                    }
                }
                _ if value == caller.arn => Grant::Direct,
                _ => Grant::None,
            }
        }
        PrincipalKind::Service => {
            if caller.kind == CallerKind::Service
                && (value == "*" || value.eq_ignore_ascii_case(&caller.name))
            {
                Grant::Direct
            } else {
                Grant::None
            }
        }
        PrincipalKind::Federated | PrincipalKind::CanonicalUser => {
            if value == caller.arn {
                Grant::Direct
            } else {
                Grant::None
            }
        }
    }
}

/// How a statement's principal element names the caller.
pub(crate) fn principal_grant(
    principal: Option<&Block<Option<Vec<PrincipalEntry>>>>,
    caller: &Caller,
) -> Grant {
    match principal {
        None => Grant::Direct,
        Some(Block::Is(None)) => Grant::Anyone,
        Some(Block::Is(Some(entries))) => entries
            .iter()
            .map(|e| entry_grant(e, caller))
            .max()
            .unwrap_or(Grant::None),
        // NotPrincipal: `*` exempts everyone.
        Some(Block::Not(None)) => Grant::None,
        Some(Block::Not(Some(entries))) => {
            // The caller is exempt only when every identity it has is listed: its account, and
            // for a session also its role and the session itself.
            let best = |want: Grant| entries.iter().any(|e| entry_grant(e, caller) == want);
            let any_star = entries
                .iter()
                .any(|e| e.kind == PrincipalKind::Aws && &*e.value == "*");
            let exempt = any_star
                || match caller.kind {
                    CallerKind::Root => best(Grant::Account),
                    CallerKind::User | CallerKind::FederatedUser | CallerKind::Role => {
                        best(Grant::Account) && best(Grant::Direct)
                    }
                    CallerKind::AssumedRole => {
                        best(Grant::Account) && best(Grant::Role) && best(Grant::Direct)
                    }
                    CallerKind::Service => best(Grant::Direct),
                    CallerKind::Anonymous => false,
                };
            if exempt { Grant::None } else { Grant::Direct }
        }
    }
}

/// Why a statement did not apply, for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Miss {
    Resource,
    Principal,
    Condition(usize),
}

/// Checks one statement against a request whose action it already covers; `bounded` tells
/// whether the caller has a permissions boundary.
pub(crate) fn check(
    s: &CompiledStatement,
    req: &Request<'_>,
    bounded: bool,
) -> Result<Grant, Miss> {
    if !s.resource_matches(req.resource, req.context) {
        return Err(Miss::Resource);
    }
    let grant = match &s.principal {
        // AWS: `NotPrincipal` with `Deny` always denies a principal that has a permissions
        // boundary, whatever `NotPrincipal` lists.
        Some(Block::Not(_)) if bounded && s.effect == Effect::Deny => Grant::Direct,
        principal => principal_grant(principal.as_ref(), req.caller),
    };
    if grant == Grant::None {
        return Err(Miss::Principal);
    }
    for (i, c) in s.conditions.iter().enumerate() {
        if !c.eval(req.context) {
            return Err(Miss::Condition(i));
        }
    }
    Ok(grant)
}

/// Observes evaluation, for explanations; the fast path uses `()` and records nothing.
pub(crate) trait Recorder {
    fn applied(&mut self, _policy: &CompiledPolicy, _s: &CompiledStatement) {}
    fn missed(&mut self, _policy: &CompiledPolicy, _s: &CompiledStatement, _miss: Miss) {}
    fn reason(&mut self, _why: &dyn Fn() -> String) {}
}

impl Recorder for () {}

#[derive(Clone, Copy, Default)]
struct Scan {
    deny: bool,
    allow: Option<Grant>,
}

fn scan<R: Recorder>(
    p: &CompiledPolicy,
    req: &Request<'_>,
    service: &str,
    name: &str,
    bounded: bool,
    rec: &mut R,
) -> Scan {
    let mut out = Scan::default();
    for s in p.candidates(service, name) {
        if !s.action_matches(service, name) {
            continue;
        }
        match check(s, req, bounded) {
            Ok(grant) => {
                rec.applied(p, s);
                match s.effect {
                    Effect::Deny => out.deny = true,
                    Effect::Allow => out.allow = out.allow.max(Some(grant)),
                }
            }
            Err(miss) => {
                if s.effect == Effect::Allow {
                    rec.missed(p, s, miss);
                }
            }
        }
    }
    out
}

/// True for requests whose resource policy is required: role trust for `sts:AssumeRole*`,
/// and key policies for operations on KMS keys.
fn needs_resource_policy(service: &str, name: &str, resource: &str) -> bool {
    if service.eq_ignore_ascii_case("sts") {
        let prefix = name
            .get(..10)
            .is_some_and(|p| p.eq_ignore_ascii_case("assumerole"));
        return prefix
            || name.eq_ignore_ascii_case("tagsession")
            || name.eq_ignore_ascii_case("setsourceidentity");
    }
    service.eq_ignore_ascii_case("kms")
        && Arn::parse(resource)
            .is_some_and(|a| a.service == "kms" && a.resource.starts_with("key/"))
}

pub(crate) fn decide_with<R: Recorder>(
    req: &Request<'_>,
    set: &PolicySet<'_>,
    rec: &mut R,
) -> Decision {
    let (service, name) = req.action.split_once(':').unwrap_or((req.action, ""));
    let bounded = set.boundary.is_some();
    let mut deny = false;
    let any_allow = |list: &[CompiledPolicy], rec: &mut R, deny: &mut bool| {
        let mut allow = false;
        for p in list {
            let s = scan(p, req, service, name, bounded, rec);
            *deny |= s.deny;
            allow |= s.allow.is_some();
        }
        allow
    };
    let identity = any_allow(set.identity, rec, &mut deny);
    let session = set.session.is_empty() || any_allow(set.session, rec, &mut deny);
    let scp = set.scps.is_empty() || any_allow(set.scps, rec, &mut deny);
    let rcp = set.rcps.is_empty() || any_allow(set.rcps, rec, &mut deny);
    let boundary = match set.boundary {
        None => true,
        Some(p) => {
            let s = scan(p, req, service, name, bounded, rec);
            deny |= s.deny;
            s.allow.is_some()
        }
    };
    let resource = match set.resource {
        None => Grant::None,
        Some(p) => {
            let s = scan(p, req, service, name, bounded, rec);
            deny |= s.deny;
            s.allow.unwrap_or(Grant::None)
        }
    };
    if deny {
        rec.reason(&|| "an explicit deny applies".to_string());
        return Decision::ExplicitDeny;
    }
    if !scp {
        rec.reason(&|| "no service control policy allows the action".to_string());
        return Decision::ImplicitDeny;
    }
    if !rcp {
        rec.reason(&|| "no resource control policy allows the action".to_string());
        return Decision::ImplicitDeny;
    }
    let caller = req.caller;
    // The account root user has full access to its own account without identity policies.
    let identity = identity || caller.kind == CallerKind::Root;
    let identity_side = !matches!(caller.kind, CallerKind::Service | CallerKind::Anonymous)
        && identity
        && boundary
        && session;
    // Services and anonymous callers belong to no account: only the resource's account
    // evaluates their requests.
    let accountless = matches!(caller.kind, CallerKind::Service | CallerKind::Anonymous);
    let same_account = accountless
        || match req.resource_account {
            None | Some("") => true,
            Some(account) => account == caller.account,
        };
    let required = needs_resource_policy(service, name, req.resource);
    if required && resource == Grant::None {
        rec.reason(&|| {
            if service.eq_ignore_ascii_case("kms") {
                "the key policy does not allow the caller or its account".to_string()
            } else {
                "the role's trust policy does not allow the caller or its account".to_string()
            }
        });
        return Decision::ImplicitDeny;
    }
    let allowed = if same_account {
        match resource {
            Grant::Direct => true,
            Grant::Anyone => session || identity_side,
            Grant::Role => (boundary && session) || identity_side,
            Grant::Account | Grant::None => identity_side,
        }
    } else {
        identity_side && resource >= Grant::Account
    };
    if allowed {
        return Decision::Allow;
    }
    rec.reason(&|| {
        if !identity {
            "no identity-based policy allows the action".to_string()
        } else if !boundary {
            "the permissions boundary does not allow the action".to_string()
        } else if !session {
            "no session policy allows the action".to_string()
        } else if !same_account && resource == Grant::None {
            "cross-account access needs the resource policy to allow the caller too".to_string()
        } else {
            "no policy allows the action".to_string()
        }
    });
    Decision::ImplicitDeny
}

/// Decides `req` against `set`: the fast path, which allocates nothing.
pub fn decide(req: &Request<'_>, set: &PolicySet<'_>) -> Decision {
    decide_with(req, set, &mut ())
}

/// Whether a policy of `kind` is a guardrail or grants by itself (for explanations).
pub(crate) fn slot_name(kind: PolicyKind) -> &'static str {
    kind.name()
}
