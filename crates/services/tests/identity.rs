#![cfg(test)]
//! The identity layer on a real store and vault.

use std::sync::Arc;

use mudroom_services::identity::{ADMIN_USER, Identities, OwnerKind};
use mudroom_store::Store;
use mudroom_vault::{MasterKey, Vault};

fn open(dir: &std::path::Path, key: [u8; 32]) -> Identities {
    let store = Store::open(dir).unwrap();
    let vault = Arc::new(Vault::open(&store, MasterKey::from_bytes(key)).unwrap());
    Identities::open(store, vault, "111122223333", "us-east-1").unwrap()
}

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;
const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:app/*"}]}"#;

#[test]
fn admin_keys_roles_and_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let ids = open(dir.path(), [7; 32]);
    let admin = ids.admin_credentials().unwrap();
    assert!(admin.access_key_id.starts_with("AKIA"));
    assert_eq!(admin.secret_access_key.len(), 40);
    let entry = ids.lookup(&admin.access_key_id).unwrap().unwrap();
    assert_eq!(entry.secret.as_slice(), admin.secret_access_key.as_bytes());
    assert_eq!(
        entry.principal.caller.arn(),
        "arn:aws:iam::111122223333:user/admin"
    );
    assert!(entry.active);
    assert!(Identities::token_matches(&entry, None));
    assert!(!Identities::token_matches(&entry, Some("x")));

    let role = ids
        .create_role(
            "app",
            "/svc/",
            TRUST,
            "",
            3600,
            &[("team".into(), "blue".into())],
        )
        .unwrap();
    assert_eq!(role.arn, "arn:aws:iam::111122223333:role/svc/app");
    assert!(
        ids.create_role("APP", "/", TRUST, "", 3600, &[]).is_err(),
        "role names are case-insensitive"
    );
    let bad = ids.put_inline_policy(
        OwnerKind::Role,
        "app",
        "read",
        r#"{"Statement":[{"Effect":"Allow"}]}"#,
    );
    let message = bad.unwrap_err().into_service();
    assert_eq!(message.code, "MalformedPolicyDocument");
    ids.put_inline_policy(OwnerKind::Role, "app", "read", READ)
        .unwrap();

    let creds = ids
        .issue_role_session(
            &role,
            "s1",
            900,
            &[],
            &[],
            mudroom_store::unix_seconds(),
            None,
        )
        .unwrap();
    assert!(creds.access_key_id.starts_with("ASIA"));
    let token = creds.session_token.clone().unwrap();
    let session = ids.lookup(&creds.access_key_id).unwrap().unwrap();
    assert_eq!(
        session.principal.caller.arn(),
        "arn:aws:sts::111122223333:assumed-role/app/s1"
    );
    assert_eq!(session.principal.identity.len(), 1);
    assert!(Identities::token_matches(&session, Some(&token)));
    assert!(!Identities::token_matches(&session, Some("forged")));
    assert!(!Identities::token_matches(&session, None));
    assert!(
        session
            .principal
            .tags
            .iter()
            .any(|(k, v)| k == "team" && v == "blue")
    );

    // Deactivating and deleting keys take effect at once.
    ids.update_access_key(ADMIN_USER, &admin.access_key_id, "Inactive")
        .unwrap();
    assert!(!ids.lookup(&admin.access_key_id).unwrap().unwrap().active);
    let second = ids.create_access_key(ADMIN_USER).unwrap();
    ids.delete_access_key(ADMIN_USER, &admin.access_key_id)
        .unwrap();
    assert!(ids.lookup(&admin.access_key_id).unwrap().is_none());
    assert!(ids.lookup("AKIANOSUCHKEY0000000").unwrap().is_none());
    drop(ids);

    // Everything survives a restart; the account is fixed on first start.
    let store = Store::open(dir.path()).unwrap();
    let vault = Arc::new(Vault::open(&store, MasterKey::from_bytes([7; 32])).unwrap());
    let ids = Identities::open(store, vault, "999999999999", "eu-west-1").unwrap();
    assert_eq!(ids.account(), "111122223333");
    assert_eq!(ids.region(), "us-east-1");
    assert!(ids.lookup(&second.access_key_id).unwrap().is_some());
    assert!(ids.lookup(&creds.access_key_id).unwrap().is_some());
}

#[test]
fn managed_policies_versions_and_attachments() {
    let dir = tempfile::tempdir().unwrap();
    let ids = open(dir.path(), [9; 32]);
    ids.create_role("r", "/", TRUST, "", 3600, &[]).unwrap();
    let p = ids.create_policy("read", "/", READ, "reads").unwrap();
    assert_eq!(p.arn, "arn:aws:iam::111122223333:policy/read");
    ids.attach(OwnerKind::Role, "r", &p.arn, true).unwrap();
    assert!(
        ids.delete_policy(&p.arn).is_err(),
        "attached policies cannot be deleted"
    );
    assert!(
        ids.delete_role("r").is_err(),
        "roles with policies cannot be deleted"
    );
    for _ in 0..4 {
        ids.create_policy_version(&p.arn, READ, true).unwrap();
    }
    assert!(
        ids.create_policy_version(&p.arn, READ, false).is_err(),
        "five versions at most"
    );
    assert_eq!(ids.policy(&p.arn).unwrap().default_version, "v5");
    ids.set_boundary(OwnerKind::Role, "r", Some(&p.arn))
        .unwrap();
    assert!(
        ids.set_boundary(
            OwnerKind::Role,
            "r",
            Some("arn:aws:iam::111122223333:policy/none")
        )
        .is_err()
    );
    ids.attach(OwnerKind::Role, "r", &p.arn, false).unwrap();
    ids.set_boundary(OwnerKind::Role, "r", None).unwrap();
    ids.delete_role("r").unwrap();
    ids.delete_policy(&p.arn).unwrap();
}

#[test]
fn policy_versions_defaults_and_boundary_usage() {
    let dir = tempfile::tempdir().unwrap();
    let ids = open(dir.path(), [5; 32]);
    let tags = vec![("team".to_string(), "blue".to_string())];
    let p = ids
        .create_tagged_policy("read", "/", READ, "", &tags)
        .unwrap();
    assert_eq!(ids.policy(&p.arn).unwrap().tags, tags);
    let all =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    assert_eq!(ids.create_policy_version(&p.arn, all, true).unwrap(), "v2");
    let versions = ids.policy_versions(&p.arn).unwrap();
    let flags: Vec<(&str, bool)> = versions
        .iter()
        .map(|v| (v.version.as_str(), v.is_default))
        .collect();
    assert_eq!(flags, [("v2", true), ("v1", false)]);
    assert_eq!(ids.managed_document(&p.arn).unwrap(), all);

    let code = |r: Result<(), mudroom_services::identity::IdentityError>| {
        r.unwrap_err().into_service().code.into_owned()
    };
    assert_eq!(
        code(ids.delete_policy_version(&p.arn, "v2")),
        "DeleteConflict"
    );
    assert_eq!(
        code(ids.delete_policy_version(&p.arn, "v9")),
        "NoSuchEntity"
    );
    assert_eq!(
        code(ids.set_default_policy_version(&p.arn, "v9")),
        "NoSuchEntity"
    );
    let none = "arn:aws:iam::111122223333:policy/none";
    assert_eq!(
        code(ids.set_default_policy_version(none, "v1")),
        "NoSuchEntity"
    );
    assert!(ids.policy_versions(none).is_err());
    ids.set_default_policy_version(&p.arn, "v1").unwrap();
    assert_eq!(ids.managed_document(&p.arn).unwrap(), READ);
    ids.delete_policy_version(&p.arn, "v2").unwrap();
    assert_eq!(ids.policy_versions(&p.arn).unwrap().len(), 1);
    // Version numbers are not reused.
    assert_eq!(ids.create_policy_version(&p.arn, all, false).unwrap(), "v3");

    // A policy in use as a permissions boundary cannot be deleted.
    ids.create_user("u", "/").unwrap();
    ids.set_boundary(OwnerKind::User, "u", Some(&p.arn))
        .unwrap();
    assert_eq!(ids.policy(&p.arn).unwrap().boundary_usage, 1);
    assert_eq!(code(ids.delete_policy(&p.arn)), "DeleteConflict");
    ids.set_boundary(OwnerKind::User, "u", None).unwrap();
    ids.delete_policy(&p.arn).unwrap();
}

#[test]
fn role_updates_and_tags() {
    let dir = tempfile::tempdir().unwrap();
    let ids = open(dir.path(), [6; 32]);
    ids.create_role("r", "/", TRUST, "first", 3600, &[])
        .unwrap();
    ids.update_role("R", Some("second"), None).unwrap();
    let role = ids.role("r").unwrap().unwrap();
    assert_eq!(
        (role.description.as_str(), role.max_session),
        ("second", 3600)
    );
    ids.update_role("r", None, Some(7200)).unwrap();
    let role = ids.role("r").unwrap().unwrap();
    assert_eq!(
        (role.description.as_str(), role.max_session),
        ("second", 7200)
    );
    let err = ids
        .update_role("r", None, Some(60))
        .unwrap_err()
        .into_service();
    assert_eq!(err.code, "ValidationError");
    let err = ids
        .update_role("nope", Some("x"), None)
        .unwrap_err()
        .into_service();
    assert_eq!(err.code, "NoSuchEntity");

    ids.create_user("u", "/").unwrap();
    let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
    ids.tag(
        OwnerKind::User,
        "u",
        &[pair("Team", "a"), pair("env", "dev")],
        &[],
    )
    .unwrap();
    // Keys compare case-insensitively: `team` replaces `Team`.
    ids.tag(
        OwnerKind::User,
        "u",
        &[pair("team", "b")],
        &["ENV".to_string()],
    )
    .unwrap();
    assert_eq!(ids.user("u").unwrap().unwrap().tags, [pair("team", "b")]);
    let many: Vec<(String, String)> = (0..50).map(|i| pair(&format!("k{i}"), "v")).collect();
    let err = ids
        .tag(OwnerKind::User, "u", &many, &[])
        .unwrap_err()
        .into_service();
    assert_eq!(err.code, "LimitExceeded");
    assert_eq!(
        ids.user("u").unwrap().unwrap().tags.len(),
        1,
        "a refused change changes nothing"
    );
    let err = ids
        .tag(OwnerKind::Role, "nope", &many, &[])
        .unwrap_err()
        .into_service();
    assert_eq!(err.code, "NoSuchEntity");
    // A user's tags reach its principal.
    let key = ids.create_access_key("u").unwrap();
    let entry = ids.lookup(&key.access_key_id).unwrap().unwrap();
    assert_eq!(entry.principal.tags, [pair("team", "b")]);
}
