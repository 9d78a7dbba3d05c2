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
