//! Deploying an app's manifest into the services plane: every `[roles.X]` becomes the IAM role
//! `X`, trusted by `lambda.amazonaws.com`, tagged with the app that owns it, with one inline
//! policy per policy file and its permissions boundary as a managed policy.

use anyhow::{Result, anyhow};
use mudroom_audit::{AuditLog, Decision, Record};
use mudroom_manifest::Manifest;
use mudroom_services::identity::{Identities, IdentityError, OwnerKind};

use crate::cmd::UsageError;

/// The tag naming the app that owns a role.
pub const APP_TAG: &str = "mudroom:app";

/// The trust policy of every function role.
const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The principal deploys are audited under.
const DEPLOYER: &str = "mudroom:deploy";

fn fail(e: IdentityError) -> anyhow::Error {
    anyhow!("{}", e.into_service().message)
}

/// An IAM policy name from a policy file's name (`policies/hello.json` → `hello`).
fn policy_name(path: &std::path::Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_+=,.@-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(64)
        .collect();
    if name.is_empty() {
        "policy".to_string()
    } else {
        name
    }
}

/// Creates or updates the app's roles; returns their ARNs. Refuses a role another app owns.
pub fn deploy_roles(
    ids: &Identities,
    audit: &AuditLog,
    manifest: &Manifest,
) -> Result<Vec<String>> {
    let app = &manifest.app.name;
    let mut arns = Vec::new();
    for (name, role) in &manifest.roles {
        let row = match ids.role(name).map_err(fail)? {
            Some(existing) => {
                let owner = existing
                    .tags
                    .iter()
                    .find(|(k, _)| k == APP_TAG)
                    .map(|(_, v)| v.as_str());
                if owner != Some(app.as_str()) {
                    return Err(UsageError(format!(
                        "role `{name}` already exists and belongs to {}: rename the role in {}",
                        owner
                            .map_or_else(|| "no mudroom app".to_string(), |o| format!("app `{o}`")),
                        manifest.file.display()
                    ))
                    .into());
                }
                ids.update_trust_policy(name, LAMBDA_TRUST).map_err(fail)?;
                existing
            }
            None => ids
                .create_role(
                    name,
                    "/",
                    LAMBDA_TRUST,
                    &format!("function role of mudroom app {app}"),
                    3600,
                    &[(APP_TAG.to_string(), app.clone())],
                )
                .map_err(fail)?,
        };
        // Inline policies: one per file; those no longer listed are removed.
        let wanted: Vec<(String, &String)> = role
            .policies
            .iter()
            .map(|(path, text)| (policy_name(path), text))
            .collect();
        for (policy, text) in &wanted {
            ids.put_inline_policy(OwnerKind::Role, name, policy, text)
                .map_err(fail)?;
        }
        for existing in ids.inline_policies(OwnerKind::Role, name).map_err(fail)? {
            if !wanted.iter().any(|(w, _)| *w == existing) {
                ids.delete_inline_policy(OwnerKind::Role, name, &existing)
                    .map_err(fail)?;
            }
        }
        // The boundary: a managed policy `<role>-boundary`, a new default version when it changed.
        match &role.boundary {
            Some((_, text)) => {
                let arn = format!("arn:aws:iam::{}:policy/{name}-boundary", ids.account());
                match ids.managed_document(&arn) {
                    Ok(current) if current == *text => {}
                    Ok(_) => {
                        let versions = ids.policy_versions(&arn).map_err(fail)?;
                        if versions.len() >= 5
                            && let Some(oldest) = versions.iter().rev().find(|v| !v.is_default)
                        {
                            ids.delete_policy_version(&arn, &oldest.version)
                                .map_err(fail)?;
                        }
                        ids.create_policy_version(&arn, text, true).map_err(fail)?;
                    }
                    Err(_) => {
                        ids.create_policy(
                            &format!("{name}-boundary"),
                            "/",
                            text,
                            &format!("permissions boundary of role {name}"),
                        )
                        .map_err(fail)?;
                    }
                }
                ids.set_boundary(OwnerKind::Role, name, Some(&arn))
                    .map_err(fail)?;
            }
            None => {
                if row.boundary_arn.is_some() {
                    ids.set_boundary(OwnerKind::Role, name, None)
                        .map_err(fail)?;
                }
            }
        }
        let mut record = Record::new(DEPLOYER, "mudroom:DeployRole", &row.arn, Decision::Mutation);
        let mut detail = serde_json::Map::new();
        detail.insert("app".into(), app.clone().into());
        record.detail = Some(detail);
        audit
            .append(record)
            .map_err(|e| anyhow!("the audit log could not record the deploy: {e}"))?;
        arns.push(row.arn);
    }
    Ok(arns)
}
