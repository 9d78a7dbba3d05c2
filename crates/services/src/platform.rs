//! The platform: authenticates every call (SigV4 against the identity layer), hands it to its
//! service, and gives the service [`Call::authorize`], which asks the policy engine and writes
//! the decision to the audit log before anything happens.

use std::collections::HashMap;
use std::sync::Arc;

use mudroom_audit::{AuditLog, Decision as AuditDecision, Record};
use mudroom_policy::{CompiledPolicy, Context, Decision, PolicySet, Request, explain};

use crate::error::ServiceError;
use crate::identity::{Identities, KeyEntry, Principal};
use crate::protocol::Protocol;
use crate::server::{Handler, Output, ServiceRequest};

/// One AWS-compatible service.
pub trait Service: Send + Sync + 'static {
    /// The SigV4 signing name it answers to (`sts`, `iam`, `secretsmanager`, `ssm`, `lambda`).
    fn name(&self) -> &'static str;
    /// Answers an authenticated call. Must call [`Call::authorize`] before acting.
    fn call(&self, call: &Call<'_>) -> Result<Output, ServiceError>;
}

/// An authenticated call, handed to its service.
pub struct Call<'a> {
    /// The request.
    pub request: &'a ServiceRequest,
    /// Who made it, with its policies.
    pub principal: &'a Principal,
    /// The access key id it was signed with.
    pub access_key_id: &'a str,
    /// The platform, for authorization, audit and identities.
    pub platform: &'a Platform,
}

/// Extra context keys and the resource policy for one authorization.
#[derive(Default)]
pub struct Authz<'a> {
    /// The resource's policy (a secret's policy, a role's trust policy).
    pub resource_policy: Option<&'a CompiledPolicy>,
    /// The resource's account, when not the platform's.
    pub resource_account: Option<&'a str>,
    /// Service-specific and request keys (`secretsmanager:ResourceTag/team`, `aws:RequestTag/x`).
    pub context: Vec<(String, Vec<String>)>,
}

impl Call<'_> {
    /// The operation name.
    pub fn operation(&self) -> &str {
        &self.request.route.operation
    }

    /// The request context every authorization of this call starts from.
    pub fn base_context(&self) -> Context {
        let r = self.request;
        let mut ctx = Context::new();
        let now = r.info.received;
        ctx.set("aws:SourceIp", r.info.source_ip.to_string());
        ctx.set(
            "aws:SecureTransport",
            if r.info.secure_transport {
                "true"
            } else {
                "false"
            },
        );
        ctx.set(
            "aws:CurrentTime",
            now.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        );
        ctx.set("aws:EpochTime", now.unix_timestamp().to_string());
        ctx.set(
            "aws:RequestedRegion",
            self.platform.identities.region().to_string(),
        );
        ctx.set("aws:MultiFactorAuthPresent", "false");
        ctx.set("aws:ViaAWSService", "false");
        ctx.set("aws:userid", self.principal.user_id.clone());
        self.principal.caller.fill_context(
            &mut ctx,
            self.principal
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        ctx
    }

    /// Asks the policy engine whether the caller may do `action` on `resource`, audits the
    /// decision, and refuses with AWS's access-denied error unless allowed. Fails closed when
    /// the audit record cannot be written.
    pub fn authorize(
        &self,
        action: &str,
        resource: &str,
        authz: Authz<'_>,
    ) -> Result<(), ServiceError> {
        let mut ctx = self.base_context();
        for (k, v) in authz.context {
            ctx.insert(&k, v);
        }
        let p = self.principal;
        let set = PolicySet {
            identity: &p.identity,
            resource: authz.resource_policy,
            boundary: p.boundary.as_ref(),
            session: &p.session,
            scps: &[],
            rcps: &[],
        };
        let req = Request {
            caller: &p.caller,
            action,
            resource,
            resource_account: authz.resource_account,
            context: &ctx,
        };
        let explanation = explain(&req, &set);
        let decision = explanation.decision;
        let statement = explanation
            .matched
            .iter()
            .find(|m| match decision {
                Decision::Allow => m.effect == mudroom_policy::Effect::Allow,
                _ => m.effect == mudroom_policy::Effect::Deny,
            })
            .map(|m| format!("{}#{}", m.policy, m.statement));
        let mut record = Record::new(
            p.caller.arn(),
            action,
            resource,
            match decision {
                Decision::Allow => AuditDecision::Allow,
                Decision::ExplicitDeny => AuditDecision::ExplicitDeny,
                Decision::ImplicitDeny => AuditDecision::ImplicitDeny,
            },
        );
        record.statement = statement;
        record.source_ip = self.request.info.source_ip.to_string();
        record.request_id = self.request.info.request_id.clone();
        self.platform.audit(record)?;
        if decision == Decision::Allow {
            return Ok(());
        }
        let because = match decision {
            Decision::ExplicitDeny => "with an explicit deny in a policy".to_string(),
            _ => explanation.reasons.first().map_or_else(
                || "because no policy allows the action".to_string(),
                |r| format!("because {r}"),
            ),
        };
        let message = format!(
            "User: {} is not authorized to perform: {action} on resource: {resource} {because}",
            p.caller.arn()
        );
        Err(access_denied(self.request.route.protocol, message))
    }

    /// Records a change the call made (after it is durable in the store).
    pub fn audit_mutation(&self, action: &str, resource: &str) -> Result<(), ServiceError> {
        let mut record = Record::new(
            self.principal.caller.arn(),
            action,
            resource,
            AuditDecision::Mutation,
        );
        record.source_ip = self.request.info.source_ip.to_string();
        record.request_id = self.request.info.request_id.clone();
        self.platform.audit(record)
    }
}

/// AWS's access-denied error in `protocol`: `AccessDenied` (403) for the query protocol,
/// `AccessDeniedException` (400, like every JSON-protocol client error) for JSON services, and
/// 403 for REST services such as Lambda.
pub fn access_denied(protocol: Protocol, message: String) -> ServiceError {
    match protocol {
        Protocol::Query { .. } => ServiceError::client("AccessDenied", message).with_status(403),
        Protocol::Json { .. } => ServiceError::client("AccessDeniedException", message),
        Protocol::RestJson => {
            ServiceError::client("AccessDeniedException", message).with_status(403)
        }
    }
}

/// The platform: identities, audit log and services.
pub struct Platform {
    /// Users, roles, keys and sessions.
    pub identities: Arc<Identities>,
    audit: Arc<AuditLog>,
    services: HashMap<&'static str, Arc<dyn Service>>,
}

impl Platform {
    /// A platform serving `services`.
    pub fn new(
        identities: Arc<Identities>,
        audit: Arc<AuditLog>,
        services: Vec<Arc<dyn Service>>,
    ) -> Self {
        Self {
            identities,
            audit,
            services: services.into_iter().map(|s| (s.name(), s)).collect(),
        }
    }

    /// Appends a record, waiting until it is durable; a failure fails the request.
    pub fn audit(&self, record: Record) -> Result<(), ServiceError> {
        self.audit.append(record).map(|_| ()).map_err(|_| {
            ServiceError::internal(
                "the audit log could not record the request, so it was not carried out",
            )
        })
    }

    /// The audit log.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    fn auth_failed(&self, request: &ServiceRequest, claimed: &str, code: &str) {
        let mut record = Record::new(
            claimed,
            format!("{}:{}", request.route.service, request.route.operation),
            "*",
            AuditDecision::AuthFailed,
        );
        record.source_ip = request.info.source_ip.to_string();
        record.request_id = request.info.request_id.clone();
        let mut detail = serde_json::Map::new();
        detail.insert("reason".into(), code.into());
        record.detail = Some(detail);
        // The request is refused either way; a failed record must not turn a 403 into a 500.
        let _ = self.audit.append(record);
    }

    /// Authenticates a request: SigV4 signature, key state, session token and expiry.
    fn authenticate(
        &self,
        request: &ServiceRequest,
    ) -> Result<(Arc<KeyEntry>, String), ServiceError> {
        crate::auth::authenticate(self, request)
            .inspect_err(|(claimed, e)| self.auth_failed(request, claimed, &e.code))
            .map_err(|(_, e)| e)
    }
}

impl Handler for Platform {
    fn handle(&self, request: &ServiceRequest) -> Result<Output, ServiceError> {
        let (entry, akid) = self.authenticate(request)?;
        let service = self.services.get(request.route.service).ok_or_else(|| {
            ServiceError::client(
                "UnknownOperationException",
                format!("service `{}` is not served here", request.route.service),
            )
        })?;
        let call = Call {
            request,
            principal: &entry.principal,
            access_key_id: &akid,
            platform: self,
        };
        service.call(&call)
    }
}
