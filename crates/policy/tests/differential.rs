#![cfg(test)]
//! Differential testing of the policy engine against an independent evaluator,
//! `@cloud-copilot/iam-simulate` (pinned in `tests/node/package.json`, installed by
//! `scripts/test-deps`, never shipped).
//!
//! Several thousand request files are generated from a fixed seed, decided by mudroom and by the
//! peer (one `node` process for all of them), and compared. Cases in a few known classes where
//! AWS's documentation and the peer part ways are skipped and counted; every other disagreement
//! fails the test, listing the cases in full. See `docs/policy-differential.md`.
//!
//! Without the node packages the test skips, unless `CI` is set, where it fails.
//! `MUDROOM_DIFF_CASES` changes the number of cases, `MUDROOM_DIFF_SHOW` the number of
//! disagreements listed, and `MUDROOM_TEST_DEPS` where the node packages are looked for.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mudroom_policy::request::RequestFile;
use serde_json::{Map, Value, json};

const SEED: u64 = 0x6d75_6472_6f6f_6d01;
const DEFAULT_CASES: usize = 6000;
const DEFAULT_SHOW: usize = 20;

const HOME: &str = "111122223333";
const OTHER: &str = "444455556666";

// ---------------------------------------------------------------------------------------------
// A small deterministic generator (SplitMix64): the cases depend on the seed alone.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Picks by weight.
    fn weighted<'a, T>(&mut self, items: &'a [(u32, T)]) -> &'a T {
        let total: u32 = items.iter().map(|(w, _)| w).sum();
        let mut n = (self.next() % u64::from(total)) as u32;
        for (w, item) in items {
            if n < *w {
                return item;
            }
            n -= w;
        }
        &items[items.len() - 1].1
    }

    /// One to `max` distinct items.
    fn some<T: Clone + PartialEq>(&mut self, items: &[T], max: usize) -> Vec<T> {
        let n = 1 + self.below(max.min(items.len()));
        let mut out: Vec<T> = Vec::with_capacity(n);
        while out.len() < n {
            let item = self.pick(items).clone();
            if !out.contains(&item) {
                out.push(item);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// The world: callers, targets, condition keys.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum CallerKind {
    Session,
    User,
    Root,
    Service,
    Anonymous,
}

#[derive(Clone, Debug)]
struct Caller {
    kind: CallerKind,
    arn: String,
    /// Empty for services and anonymous callers.
    account: &'static str,
    /// Role name for sessions.
    role: &'static str,
}

fn callers() -> Vec<(u32, Caller)> {
    let session = |account, role, name| Caller {
        kind: CallerKind::Session,
        arn: format!("arn:aws:sts::{account}:assumed-role/{role}/{name}"),
        account,
        role,
    };
    let user = |account, name| Caller {
        kind: CallerKind::User,
        arn: format!("arn:aws:iam::{account}:user/{name}"),
        account,
        role: "",
    };
    vec![
        (34, session(HOME, "app-role", "s1")),
        (18, user(HOME, "alice")),
        (
            5,
            Caller {
                kind: CallerKind::Root,
                arn: format!("arn:aws:iam::{HOME}:root"),
                account: HOME,
                role: "",
            },
        ),
        (16, session(OTHER, "ext-role", "x1")),
        (11, user(OTHER, "bob")),
        (
            8,
            Caller {
                kind: CallerKind::Service,
                arn: "sns.amazonaws.com".to_string(),
                account: "",
                role: "",
            },
        ),
        (
            8,
            Caller {
                kind: CallerKind::Anonymous,
                arn: "anonymous".to_string(),
                account: "",
                role: "",
            },
        ),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TargetKind {
    /// Resource policies are optional and grant alone in the same account.
    Plain,
    /// A KMS key: the key policy must allow the caller or its account.
    Kms,
    /// `sts:AssumeRole`: the role's trust policy (no `Resource`) must allow.
    Trust,
}

/// An action on a resource; `{a}` in the resource texts stands for the resource's account.
struct Target {
    action: &'static str,
    /// Another action of the same service.
    sibling: &'static str,
    /// An action pattern with a wildcard that covers `action`.
    pattern: &'static str,
    resource: &'static str,
    /// A resource pattern with wildcards that covers `resource`.
    wildcard: &'static str,
    /// A resource pattern that does not cover `resource`.
    miss: &'static str,
    /// A resource pattern with policy variables.
    variable: &'static str,
    kind: TargetKind,
}

const TARGETS: [Target; 9] = [
    Target {
        action: "secretsmanager:GetSecretValue",
        sibling: "secretsmanager:DeleteSecret",
        pattern: "secretsmanager:Get*",
        resource: "arn:aws:secretsmanager:us-east-1:{a}:secret:app/db-AbCdEf",
        wildcard: "arn:aws:secretsmanager:*:{a}:secret:app/*",
        miss: "arn:aws:secretsmanager:us-east-1:{a}:secret:ops/*",
        variable: "arn:aws:secretsmanager:us-east-1:${aws:PrincipalAccount}:secret:${aws:PrincipalTag/project, 'app'}/*",
        kind: TargetKind::Plain,
    },
    Target {
        action: "secretsmanager:TagResource",
        sibling: "secretsmanager:UntagResource",
        pattern: "secretsmanager:*Resource",
        resource: "arn:aws:secretsmanager:us-east-1:{a}:secret:app/db-AbCdEf",
        wildcard: "arn:aws:secretsmanager:us-east-1:{a}:secret:*",
        miss: "arn:aws:secretsmanager:eu-west-1:{a}:secret:*",
        variable: "arn:aws:secretsmanager:${aws:RequestedRegion, 'us-east-1'}:{a}:secret:app/*",
        kind: TargetKind::Plain,
    },
    Target {
        action: "sqs:SendMessage",
        sibling: "sqs:DeleteQueue",
        pattern: "sqs:Send*",
        resource: "arn:aws:sqs:us-east-1:{a}:orders",
        wildcard: "arn:aws:sqs:*:{a}:ord*",
        miss: "arn:aws:sqs:us-east-1:{a}:orders-dlq",
        variable: "arn:aws:sqs:us-east-1:${aws:PrincipalAccount}:orders",
        kind: TargetKind::Plain,
    },
    Target {
        action: "s3:GetObject",
        sibling: "s3:PutObject",
        pattern: "s3:Get*",
        resource: "arn:aws:s3:::data-{a}/reports/q1.csv",
        wildcard: "arn:aws:s3:::data-{a}/*",
        miss: "arn:aws:s3:::logs-{a}/*",
        variable: "arn:aws:s3:::data-{a}/${aws:username, 'reports'}/*",
        kind: TargetKind::Plain,
    },
    Target {
        action: "s3:PutObject",
        sibling: "s3:GetObject",
        pattern: "s3:Put*",
        resource: "arn:aws:s3:::data-{a}/alice/upload.bin",
        wildcard: "arn:aws:s3:::data-{a}/*/upload.???",
        miss: "arn:aws:s3:::data-{a}/bob/*",
        variable: "arn:aws:s3:::data-{a}/${aws:username}/*",
        kind: TargetKind::Plain,
    },
    Target {
        action: "sns:Publish",
        sibling: "sns:Subscribe",
        pattern: "sns:P*",
        resource: "arn:aws:sns:us-east-1:{a}:alerts",
        wildcard: "arn:aws:sns:us-east-1:*:alerts",
        miss: "arn:aws:sns:us-east-1:{a}:alerts-*",
        variable: "arn:aws:sns:us-east-1:{a}:${aws:PrincipalTag/topic, 'alerts'}",
        kind: TargetKind::Plain,
    },
    Target {
        action: "lambda:InvokeFunction",
        sibling: "lambda:DeleteFunction",
        pattern: "lambda:Invoke*",
        resource: "arn:aws:lambda:us-east-1:{a}:function:worker",
        wildcard: "arn:aws:lambda:us-east-1:{a}:function:w*",
        miss: "arn:aws:lambda:us-east-1:{a}:function:other",
        variable: "arn:aws:lambda:us-east-1:${aws:PrincipalAccount}:function:*",
        kind: TargetKind::Plain,
    },
    Target {
        action: "kms:Decrypt",
        sibling: "kms:Encrypt",
        pattern: "kms:De*",
        resource: "arn:aws:kms:us-east-1:{a}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        wildcard: "arn:aws:kms:*:{a}:key/*",
        miss: "arn:aws:kms:us-east-1:{a}:key/0000*",
        variable: "arn:aws:kms:us-east-1:${aws:PrincipalAccount}:key/*",
        kind: TargetKind::Kms,
    },
    Target {
        action: "sts:AssumeRole",
        sibling: "sts:TagSession",
        pattern: "sts:Assume*",
        resource: "arn:aws:iam::{a}:role/target-role",
        wildcard: "arn:aws:iam::{a}:role/target-*",
        miss: "arn:aws:iam::{a}:role/admin-*",
        variable: "arn:aws:iam::${aws:PrincipalAccount}:role/*",
        kind: TargetKind::Trust,
    },
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ty {
    Str,
    Num,
    Date,
    Bool,
    Ip,
    Arn,
    Binary,
    /// Multivalued string keys: used with a set operator only.
    Multi,
}

/// A condition key, the values a request may give it and the values policies compare it with.
struct Key {
    name: &'static str,
    ty: Ty,
    /// Values in the request; empty for keys the principal fills.
    request: &'static [&'static str],
    policy: &'static [&'static str],
}

const KEYS: [Key; 20] = [
    Key {
        name: "aws:PrincipalTag/team",
        ty: Ty::Str,
        request: &[],
        policy: &[
            "blue",
            "red",
            "BLUE",
            "bl*",
            "?ed",
            "*",
            "${aws:PrincipalTag/project, 'blue'}",
        ],
    },
    Key {
        name: "aws:RequestedRegion",
        ty: Ty::Str,
        request: &["us-east-1", "eu-west-1", "US-EAST-1"],
        policy: &[
            "us-east-1",
            "eu-*",
            "us-?ast-1",
            "US-EAST-1",
            "${aws:PrincipalTag/region, 'us-east-1'}",
            "${aws:PrincipalTag/region}",
        ],
    },
    Key {
        name: "aws:SourceVpce",
        ty: Ty::Str,
        request: &["vpce-1a2b3c4d", "vpce-0000"],
        policy: &[
            "vpce-1a2b3c4d",
            "vpce-*",
            "vpce-${aws:PrincipalTag/project, '0000'}",
        ],
    },
    Key {
        name: "aws:PrincipalOrgID",
        ty: Ty::Str,
        request: &["o-a1b2c3", "o-zzzz"],
        policy: &["o-a1b2c3", "o-*", "O-A1B2C3"],
    },
    Key {
        name: "aws:username",
        ty: Ty::Str,
        request: &[],
        policy: &["alice", "bob", "a*", "${aws:PrincipalTag/owner, 'alice'}"],
    },
    Key {
        name: "aws:PrincipalAccount",
        ty: Ty::Str,
        request: &[],
        policy: &[
            HOME,
            OTHER,
            "1111*",
            "${aws:ResourceAccount, '111122223333'}",
        ],
    },
    Key {
        name: "aws:UserAgent",
        ty: Ty::Str,
        request: &["curl/8.0", "price$5", "a*b", "what?"],
        policy: &[
            "curl/*",
            "curl/8.0",
            "price${$}5",
            "a${*}b",
            "what${?}",
            "a?b",
            "price$5",
            "what?",
            "a*b",
            "curl/8.?",
        ],
    },
    Key {
        name: "aws:MultiFactorAuthAge",
        ty: Ty::Num,
        request: &["30", "3600", "86400", "0"],
        policy: &["3600", "60", "86400", "0.5", "30"],
    },
    Key {
        name: "aws:CurrentTime",
        ty: Ty::Date,
        request: &["2024-06-01T12:00:00Z", "2019-12-31T23:59:59Z"],
        policy: &[
            "2024-01-01T00:00:00Z",
            "2024-06-01T12:00:00Z",
            "2025-01-01",
            "2020-01-01T00:00:00+01:00",
        ],
    },
    Key {
        name: "aws:EpochTime",
        ty: Ty::Date,
        request: &["1717243200", "1577836799"],
        policy: &[
            "1717243200",
            "1600000000",
            "1717243199",
            "1577836800",
            "2024-01-01T00:00:00Z",
        ],
    },
    Key {
        name: "aws:SecureTransport",
        ty: Ty::Bool,
        request: &["true", "false"],
        policy: &["true", "false"],
    },
    Key {
        name: "aws:MultiFactorAuthPresent",
        ty: Ty::Bool,
        request: &["true", "false"],
        policy: &["true", "false"],
    },
    Key {
        name: "aws:SourceIp",
        ty: Ty::Ip,
        request: &["10.1.2.3", "192.0.2.10", "203.0.113.7", "2001:db8::1"],
        policy: &[
            "10.0.0.0/8",
            "192.0.2.0/24",
            "10.1.2.3/32",
            "10.1.2.3",
            "2001:db8::/32",
            "203.0.113.0/25",
        ],
    },
    Key {
        name: "aws:SourceArn",
        ty: Ty::Arn,
        request: &[
            "arn:aws:sns:us-east-1:111122223333:alerts",
            "arn:aws:s3:::data-111122223333",
            "arn:aws:lambda:us-east-1:444455556666:function:worker",
        ],
        policy: &[
            "arn:aws:sns:us-east-1:111122223333:alerts",
            "arn:aws:sns:*:111122223333:*",
            "arn:aws:s3:::data-*",
            "arn:aws:*:*:444455556666:*",
            "arn:aws:lambda:us-east-1:${aws:PrincipalAccount}:function:*",
            "arn:aws:sns:us-east-1:111122223333:${aws:PrincipalTag/topic, 'alerts'}",
            "arn:aws:s3:::data-${aws:PrincipalAccount}",
        ],
    },
    Key {
        name: "aws:PrincipalArn",
        ty: Ty::Arn,
        request: &[],
        policy: &[
            "arn:aws:iam::111122223333:role/app-role",
            "arn:aws:iam::*:role/app-*",
            "arn:aws:iam::111122223333:user/*",
            "arn:aws:iam::111122223333:user/${aws:username, 'nobody'}",
            "arn:aws:iam::444455556666:role/ext-role",
        ],
    },
    Key {
        name: "aws:PrincipalTag/blob",
        ty: Ty::Binary,
        request: &[],
        policy: &["QmluYXJ5", "b3RoZXI="],
    },
    Key {
        name: "aws:TagKeys",
        ty: Ty::Multi,
        request: &["env", "team", "owner", "Env"],
        policy: &["env", "team", "owner", "e*", "ENV"],
    },
    Key {
        name: "aws:PrincipalOrgPaths",
        ty: Ty::Multi,
        request: &[
            "o-a1b2c3/r-ab12/ou-ab12-11111111/",
            "o-a1b2c3/r-ab12/ou-ab12-22222222/",
        ],
        policy: &[
            "o-a1b2c3/r-ab12/ou-ab12-11111111/*",
            "o-a1b2c3/*",
            "o-zzzz/*",
            "o-a1b2c3/r-ab12/ou-ab12-22222222/",
        ],
    },
    Key {
        name: "aws:CalledVia",
        ty: Ty::Multi,
        request: &["cloudformation.amazonaws.com", "athena.amazonaws.com"],
        policy: &[
            "cloudformation.amazonaws.com",
            "athena.amazonaws.com",
            "*.amazonaws.com",
        ],
    },
    Key {
        name: "aws:ResourceAccount",
        ty: Ty::Str,
        request: &[],
        policy: &[HOME, OTHER, "${aws:PrincipalAccount}"],
    },
];

fn operators(ty: Ty) -> &'static [&'static str] {
    match ty {
        Ty::Str | Ty::Multi => &[
            "StringEquals",
            "StringNotEquals",
            "StringEqualsIgnoreCase",
            "StringNotEqualsIgnoreCase",
            "StringLike",
            "StringNotLike",
        ],
        Ty::Num => &[
            "NumericEquals",
            "NumericNotEquals",
            "NumericLessThan",
            "NumericLessThanEquals",
            "NumericGreaterThan",
            "NumericGreaterThanEquals",
        ],
        Ty::Date => &[
            "DateEquals",
            "DateNotEquals",
            "DateLessThan",
            "DateLessThanEquals",
            "DateGreaterThan",
            "DateGreaterThanEquals",
        ],
        Ty::Bool => &["Bool"],
        Ty::Ip => &["IpAddress", "NotIpAddress"],
        Ty::Arn => &["ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike"],
        Ty::Binary => &["BinaryEquals"],
    }
}

// ---------------------------------------------------------------------------------------------
// Case generation.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    Identity,
    Resource,
    Trust,
    Boundary,
    Session,
    Scp,
    Rcp,
}

struct Gen<'a> {
    rng: Rng,
    callers: &'a [(u32, Caller)],
}

/// What one case is about, for the statements of its policies.
struct Scene<'a> {
    caller: &'a Caller,
    target: &'a Target,
    account: &'static str,
}

impl Scene<'_> {
    fn fill(&self, text: &str) -> String {
        text.replace("{a}", self.account)
    }
}

impl Gen<'_> {
    fn case(&mut self) -> Value {
        let caller = self.rng.weighted(self.callers).clone();
        let mut target = self.rng.pick(&TARGETS);
        // Only signed requests can assume a role.
        while caller.kind == CallerKind::Anonymous && target.kind == TargetKind::Trust {
            target = self.rng.pick(&TARGETS);
        }
        let account = match caller.kind {
            CallerKind::Session | CallerKind::User | CallerKind::Root if self.rng.chance(70) => {
                caller.account
            }
            _ => *self.rng.pick(&[HOME, OTHER]),
        };
        let scene = Scene {
            caller: &caller,
            target,
            account,
        };
        let principal_side = matches!(
            caller.kind,
            CallerKind::Session | CallerKind::User | CallerKind::Root
        );

        let mut principal = Map::new();
        principal.insert("arn".into(), json!(caller.arn));
        if principal_side && self.rng.chance(60) {
            let mut tags = Map::new();
            for (key, values) in [
                ("team", &["blue", "red", "Blue"][..]),
                ("project", &["app", "blue", "ops"][..]),
                ("region", &["us-east-1", "eu-west-1"][..]),
                ("owner", &["alice", "bob"][..]),
                ("topic", &["alerts", "other"][..]),
                ("blob", &["QmluYXJ5", "b3RoZXI="][..]),
            ] {
                if self.rng.chance(40) {
                    tags.insert(key.into(), json!(self.rng.pick(values)));
                }
            }
            principal.insert("tags".into(), Value::Object(tags));
        }

        let mut context = Map::new();
        for key in KEYS.iter().filter(|k| !k.request.is_empty()) {
            if !self.rng.chance(55) {
                continue;
            }
            let value = if key.ty == Ty::Multi {
                json!(self.rng.some(key.request, 3))
            } else {
                json!(self.rng.pick(key.request))
            };
            context.insert(key.name.into(), value);
        }
        if self.rng.chance(50) {
            context.insert("aws:ResourceAccount".into(), json!(account));
        }

        let mut identity = Vec::new();
        let mut boundary = Value::Null;
        let mut session = Vec::new();
        let mut scps = Vec::new();
        if principal_side {
            // AWS: "all requests are implicitly denied with the exception of the AWS account
            // root user, which has full access". mudroom gives the root user that access
            // without identity policies; the peer needs one.
            if caller.kind == CallerKind::Root {
                identity.push(json!({"Version": "2012-10-17", "Statement": [
                    {"Sid": "RootUserFullAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}));
            }
            for _ in 0..self
                .rng
                .weighted(&[(15, 0), (50, 1), (25, 2), (10, 3)])
                .to_owned()
            {
                identity.push(self.policy(&scene, Slot::Identity));
            }
            if caller.kind != CallerKind::Root && self.rng.chance(25) {
                boundary = self.policy(&scene, Slot::Boundary);
            }
            if caller.kind == CallerKind::Session && self.rng.chance(25) {
                session.push(self.policy(&scene, Slot::Session));
            }
            if self.rng.chance(30) {
                if self.rng.chance(60) {
                    scps.push(json!({"Version": "2012-10-17", "Statement": [
                        {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}));
                }
                scps.push(self.policy(&scene, Slot::Scp));
            }
        }
        let mut rcps = Vec::new();
        if self.rng.chance(25) {
            // Every account has RCPFullAWSAccess attached, which cannot be detached.
            rcps.push(json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "RCPFullAWSAccess", "Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}));
            rcps.push(self.policy(&scene, Slot::Rcp));
        }
        let resource_policy = match target.kind {
            TargetKind::Trust => self.policy(&scene, Slot::Trust),
            TargetKind::Kms if self.rng.chance(92) => self.policy(&scene, Slot::Resource),
            TargetKind::Plain if !principal_side || self.rng.chance(55) => {
                self.policy(&scene, Slot::Resource)
            }
            _ => Value::Null,
        };

        json!({
            "principal": principal,
            "action": target.action,
            "resource": scene.fill(target.resource),
            "resource_account": account,
            "context": context,
            "identity_policies": identity,
            "resource_policy": resource_policy,
            "permissions_boundary": boundary,
            "session_policies": session,
            "service_control_policies": scps,
            "resource_control_policies": rcps,
        })
    }

    fn policy(&mut self, scene: &Scene<'_>, slot: Slot) -> Value {
        // Resource control policies must use the current version.
        let version = if slot != Slot::Rcp && self.rng.chance(2) {
            "2008-10-17"
        } else {
            "2012-10-17"
        };
        let n = *self.rng.weighted(&[(55, 1), (30, 2), (15, 3)]);
        let statements: Vec<Value> = (0..n)
            .map(|i| {
                let deny = match slot {
                    Slot::Rcp => true,
                    Slot::Scp => self.rng.chance(40),
                    _ => self.rng.chance(if i == 0 { 12 } else { 30 }),
                };
                self.statement(scene, slot, deny)
            })
            .collect();
        json!({"Version": version, "Statement": statements})
    }

    fn statement(&mut self, scene: &Scene<'_>, slot: Slot, deny: bool) -> Value {
        let t = scene.target;
        let mut s = Map::new();
        s.insert("Effect".into(), json!(if deny { "Deny" } else { "Allow" }));
        match slot {
            Slot::Rcp => {
                s.insert("Principal".into(), json!("*"));
            }
            Slot::Resource | Slot::Trust => {
                // AWS supports NotPrincipal only with Deny, and not in role trust policies.
                let not = deny && slot == Slot::Resource && self.rng.chance(25);
                let value = self.principal(scene);
                s.insert(if not { "NotPrincipal" } else { "Principal" }.into(), value);
            }
            _ => {}
        }
        let (key, value) = self.actions(t, slot);
        s.insert(key.into(), value);
        if slot != Slot::Trust {
            let (key, value) = self.resources(scene);
            s.insert(key.into(), value);
        }
        let conditions = *self.rng.weighted(&[(50, 0), (35, 1), (15, 2)]);
        if conditions > 0 {
            let mut block = Map::new();
            for _ in 0..conditions {
                let (op, key, values) = self.condition();
                let entry = block.entry(op).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(keys) = entry {
                    keys.insert(key.into(), values);
                }
            }
            s.insert("Condition".into(), Value::Object(block));
        }
        Value::Object(s)
    }

    fn actions(&mut self, t: &Target, slot: Slot) -> (&'static str, Value) {
        let service = t.action.split(':').next().unwrap_or_default();
        // Resource control policies take neither `"Action": "*"` nor `NotAction`.
        if slot == Slot::Rcp {
            return match *self.rng.weighted(&[(50, 0), (20, 1), (15, 2), (15, 3)]) {
                0 => ("Action", json!(t.action)),
                1 => ("Action", json!(format!("{service}:*"))),
                2 => ("Action", json!(t.pattern)),
                _ => ("Action", json!(t.sibling)),
            };
        }
        match *self.rng.weighted(&[
            (40, 0),
            (9, 1),
            (9, 2),
            (7, 3),
            (11, 4),
            (6, 5),
            (10, 6),
            (4, 7),
            (4, 8),
        ]) {
            0 => ("Action", json!(t.action)),
            1 => ("Action", json!(format!("{service}:*"))),
            2 => ("Action", json!(t.pattern)),
            3 => ("Action", json!("*")),
            4 => ("Action", json!(t.sibling)),
            5 => ("Action", json!([t.sibling, t.action.to_ascii_lowercase()])),
            6 => ("NotAction", json!([t.sibling])),
            7 => ("NotAction", json!(t.pattern)),
            _ => ("NotAction", json!(["iam:*", "organizations:*"])),
        }
    }

    fn resources(&mut self, scene: &Scene<'_>) -> (&'static str, Value) {
        let t = scene.target;
        match *self.rng.weighted(&[
            (34, 0),
            (18, 1),
            (14, 2),
            (10, 3),
            (12, 4),
            (6, 5),
            (4, 6),
            (2, 7),
        ]) {
            0 => ("Resource", json!(scene.fill(t.resource))),
            1 => ("Resource", json!("*")),
            2 => ("Resource", json!(scene.fill(t.wildcard))),
            3 => ("Resource", json!(scene.fill(t.miss))),
            4 => ("Resource", json!(scene.fill(t.variable))),
            5 => ("NotResource", json!([scene.fill(t.miss)])),
            6 => ("NotResource", json!(scene.fill(t.wildcard))),
            _ => (
                "Resource",
                json!([scene.fill(t.miss), scene.fill(t.variable)]),
            ),
        }
    }

    /// A `Principal` value: usually names the caller, its role or its account, or others.
    fn principal(&mut self, scene: &Scene<'_>) -> Value {
        let c = scene.caller;
        if self.rng.chance(12) {
            return json!("*");
        }
        let mut own: Vec<String> = Vec::new();
        match c.kind {
            CallerKind::Session => {
                own.push(c.arn.clone());
                own.push(format!("arn:aws:iam::{}:role/{}", c.account, c.role));
                own.push(format!("arn:aws:iam::{}:role/{}", c.account, c.role));
            }
            CallerKind::User => {
                own.push(c.arn.clone());
                own.push(c.arn.clone());
            }
            CallerKind::Root | CallerKind::Service | CallerKind::Anonymous => {}
        }
        if !c.account.is_empty() {
            own.push(format!("arn:aws:iam::{}:root", c.account));
            own.push(c.account.to_string());
        }
        let others = [
            format!("arn:aws:iam::{HOME}:root"),
            OTHER.to_string(),
            format!("arn:aws:iam::{HOME}:role/other-role"),
            format!("arn:aws:sts::{HOME}:assumed-role/app-role/s2"),
            format!("arn:aws:iam::{OTHER}:user/carol"),
            format!("arn:aws:iam::{HOME}:user/alice"),
            format!("arn:aws:iam::{OTHER}:role/ext-role"),
            "*".to_string(),
        ];
        let mut aws: Vec<String> = Vec::new();
        for _ in 0..*self.rng.weighted(&[(55, 1), (30, 2), (15, 3)]) {
            let value = if !own.is_empty() && self.rng.chance(65) {
                self.rng.pick(&own).clone()
            } else {
                self.rng.pick(&others).clone()
            };
            if !aws.contains(&value) {
                aws.push(value);
            }
        }
        let mut p = Map::new();
        let service = c.kind == CallerKind::Service && self.rng.chance(70) || self.rng.chance(5);
        if service {
            let name = if self.rng.chance(75) {
                "sns.amazonaws.com"
            } else {
                "lambda.amazonaws.com"
            };
            p.insert("Service".into(), json!(name));
            if self.rng.chance(50) {
                return Value::Object(p);
            }
        }
        if aws.len() == 1 && self.rng.chance(50) {
            p.insert("AWS".into(), json!(aws[0]));
        } else {
            p.insert("AWS".into(), json!(aws));
        }
        Value::Object(p)
    }

    /// An operator, a key and its policy values.
    fn condition(&mut self) -> (String, &'static str, Value) {
        if self.rng.chance(7) {
            let key = self.rng.pick(&KEYS);
            let value = if self.rng.chance(50) { "true" } else { "false" };
            return ("Null".to_string(), key.name, json!(value));
        }
        let key = self.rng.pick(&KEYS);
        let mut ty = key.ty;
        // String operators on ARN keys are common in practice.
        if ty == Ty::Arn && self.rng.chance(25) {
            ty = Ty::Str;
        }
        let base = *self.rng.pick(operators(ty));
        let set = if key.ty == Ty::Multi || self.rng.chance(8) {
            if self.rng.chance(50) {
                "ForAllValues:"
            } else {
                "ForAnyValue:"
            }
        } else {
            ""
        };
        let if_exists = if self.rng.chance(18) { "IfExists" } else { "" };
        let values = self.rng.some(key.policy, 3);
        let values = if values.len() == 1 && self.rng.chance(60) {
            json!(values[0])
        } else {
            json!(values)
        };
        (format!("{set}{base}{if_exists}"), key.name, values)
    }
}

// ---------------------------------------------------------------------------------------------
// Known classes: AWS's documentation is right and the peer differs.

/// Walks every policy of a case with the slot it fills.
fn policies(case: &Value) -> Vec<(Slot, &Value)> {
    let mut out = Vec::new();
    let list = |key: &str| case[key].as_array().map(Vec::as_slice).unwrap_or_default();
    for p in list("identity_policies") {
        out.push((Slot::Identity, p));
    }
    for p in list("session_policies") {
        out.push((Slot::Session, p));
    }
    for p in list("service_control_policies") {
        out.push((Slot::Scp, p));
    }
    for p in list("resource_control_policies") {
        out.push((Slot::Rcp, p));
    }
    if !case["permissions_boundary"].is_null() {
        out.push((Slot::Boundary, &case["permissions_boundary"]));
    }
    if !case["resource_policy"].is_null() {
        let slot = if case["action"] == "sts:AssumeRole" {
            Slot::Trust
        } else {
            Slot::Resource
        };
        out.push((slot, &case["resource_policy"]));
    }
    out
}

fn statements(policy: &Value) -> Vec<&Value> {
    match &policy["Statement"] {
        Value::Array(list) => list.iter().collect(),
        other => vec![other],
    }
}

fn strings(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// `(operator, key, values)` of every condition of a statement.
fn conditions(statement: &Value) -> Vec<(&str, &str, Vec<&str>)> {
    let mut out = Vec::new();
    if let Value::Object(ops) = &statement["Condition"] {
        for (op, keys) in ops {
            if let Value::Object(keys) = keys {
                for (key, values) in keys {
                    out.push((op.as_str(), key.as_str(), strings(values)));
                }
            }
        }
    }
    out
}

fn is_epoch(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Principal entries of the `AWS` kind in a `Principal` or `NotPrincipal` value.
fn aws_principals(v: &Value) -> Vec<&str> {
    match v {
        Value::String(s) => vec![s.as_str()],
        Value::Object(map) => map.get("AWS").map(strings).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn caller_account(arn: &str) -> &str {
    arn.split(':').nth(4).unwrap_or_default()
}

/// Whether the request context of a case holds `key`, the keys AWS fills for the principal
/// included.
fn key_present(case: &Value, key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    let in_context = case["context"]
        .as_object()
        .is_some_and(|m| m.keys().any(|k| k.to_ascii_lowercase() == lower));
    let caller = case["principal"]["arn"].as_str().unwrap_or_default();
    let tags = case["principal"]["tags"].as_object();
    let principal_side = caller.starts_with("arn:");
    in_context
        || lower.strip_prefix("aws:principaltag/").is_some_and(|tag| {
            tags.is_some_and(|t| t.keys().any(|k| k.to_ascii_lowercase() == tag))
        })
        || (principal_side
            && [
                "aws:principalarn",
                "aws:principalaccount",
                "aws:principaltype",
            ]
            .contains(&lower.as_str()))
        || (lower == "aws:username" && caller.contains(":user/"))
}

/// The resource-type prefix the peer matches literally: the resource part of a `Resource` ARN
/// up to its first `/` or `:` (none for S3).
fn peer_resource_prefix(text: &str) -> Option<String> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() < 6 || parts[0] != "arn" {
        return None;
    }
    if parts[2] == "s3" && parts[3].is_empty() && parts[4].is_empty() {
        return None;
    }
    let resource = parts[5..].join(":");
    let split = match (resource.find('/'), resource.find(':')) {
        (Some(s), Some(c)) => s.min(c) + 1,
        (Some(s), None) => s + 1,
        (None, Some(c)) => c + 1,
        (None, None) => 0,
    };
    Some(resource[..split].to_string())
}

/// How a `Deny` with `NotPrincipal` in the resource policy lists the caller, when it lists some
/// but not all of its identities (its account, its role, itself), which is where AWS and the
/// peer part ways: AWS exempts a caller only when every identity is listed, the peer when any
/// is.
fn partial_not_principal(case: &Value) -> Option<&'static str> {
    let caller = case["principal"]["arn"].as_str().unwrap_or_default();
    let account = caller_account(caller);
    if account.is_empty() || caller.ends_with(":root") {
        return None;
    }
    // With a permissions boundary both deny whatever NotPrincipal lists.
    if !case["permissions_boundary"].is_null() {
        return None;
    }
    let role = caller
        .strip_prefix(&format!("arn:aws:sts::{account}:assumed-role/"))
        .and_then(|rest| rest.split('/').next())
        .map(|role| format!("arn:aws:iam::{account}:role/{role}"));
    let root = format!("arn:aws:iam::{account}:root");
    let policy = &case["resource_policy"];
    if policy.is_null() {
        return None;
    }
    let mut out = None;
    for s in statements(policy) {
        if s["Effect"] != "Deny" {
            continue;
        }
        let listed = aws_principals(&s["NotPrincipal"]);
        if listed.is_empty() || listed.contains(&"*") {
            continue;
        }
        let has_account = listed.iter().any(|v| *v == account || *v == root);
        let has_role = role.as_deref().is_some_and(|r| listed.contains(&r));
        let has_self = listed.contains(&caller);
        let all = has_account && has_self && (role.is_none() || has_role);
        let any = has_account || has_self || has_role;
        if all || !any {
            continue;
        }
        out = Some(if has_account {
            "deny-not-principal-account"
        } else if has_role && !has_self {
            "not-principal-role-vs-session"
        } else {
            "deny-not-principal-without-account"
        });
    }
    out
}

/// A test of one condition: its policy, operator, key and values.
type ConditionTest<'a> = dyn Fn(&Value, &str, &str, &[&str]) -> bool + 'a;

/// The known classes a case falls in, where AWS's documentation (quoted) is right and the peer
/// differs.
fn known_classes(case: &Value) -> Vec<&'static str> {
    let mut out = Vec::new();
    let caller = case["principal"]["arn"].as_str().unwrap_or_default();
    let context = &case["context"];
    let all: Vec<(Slot, &Value)> = policies(case);
    let any_condition = |f: &ConditionTest<'_>| {
        all.iter().any(|(_, p)| {
            statements(p).iter().any(|s| {
                conditions(s)
                    .iter()
                    .any(|(op, key, values)| f(p, op, key, values))
            })
        })
    };

    // Date operators comparing an epoch time in the request with an ISO 8601 date in the
    // policy. AWS (condition operators, date): "You can use [...] ISO 8601 date formats or
    // epoch (UNIX) time" for the values compared, which name points in time either way; the
    // peer compares an epoch number with a parsed date only when both sides use one form.
    if any_condition(&|_, op, key, values| {
        op.contains("Date")
            && strings(&context[key]).iter().any(|v| is_epoch(v))
            && values.iter().any(|v| !is_epoch(v))
    }) {
        out.push("epoch-vs-iso-date");
    }

    // `${$}`, `${*}` and `${?}` in string operators without wildcards. AWS (policy variables,
    // special characters): "${$} - use where you need a $ (dollar sign) character [...] These
    // predefined policy variables can be used in any string where you can use regular policy
    // variables"; the peer matches the literal text `${$}` in StringEquals and its kin.
    if any_condition(&|p, op, _, values| {
        p["Version"] == "2012-10-17"
            && op.contains("String")
            && !op.contains("Like")
            && values
                .iter()
                .any(|v| v.contains("${$}") || v.contains("${*}") || v.contains("${?}"))
    }) {
        out.push("special-character-variable-in-string-equals");
    }

    // Policy variables in a policy of version 2008-10-17. AWS (policy variables): "If you
    // don't include the Version element and set it to an appropriate version date, variables
    // like ${aws:username} are treated as literal strings in the policy"; the peer substitutes
    // them whatever the version.
    if all.iter().any(|(_, p)| {
        p["Version"] != "2012-10-17"
            && statements(p).iter().any(|s| {
                ["Resource", "NotResource"]
                    .iter()
                    .any(|k| strings(&s[*k]).iter().any(|v| v.contains("${")))
                    || conditions(s)
                        .iter()
                        .any(|(_, _, values)| values.iter().any(|v| v.contains("${")))
            })
    }) {
        out.push("variable-in-version-2008");
    }

    // `ForAnyValue:...IfExists` on an absent key. AWS (condition operators, IfExists): "You can
    // add IfExists to the end of any condition operator name except the Null condition [...]
    // If the key is not present, evaluate the condition element as true"; the peer returns
    // false for ForAnyValue whatever the suffix.
    if any_condition(&|_, op, key, _| {
        op.starts_with("ForAnyValue:") && op.ends_with("IfExists") && !key_present(case, key)
    }) {
        out.push("for-any-value-if-exists-absent-key");
    }

    // A policy variable in the resource type of a Resource ARN, like
    // `arn:aws:sns:us-east-1:111122223333:${aws:PrincipalTag/topic}`. AWS (policy variables):
    // "You can use a policy variable in the Resource element, but only in the resource portion
    // of the ARN. This portion of the ARN appears after the fifth colon", with the example
    // `arn:aws:sqs:us-east-2:*:${aws:username}-queue`; the peer cuts the resource part at its
    // first `/` or `:`, inside the variable here, and compares what precedes literally.
    if all.iter().any(|(_, p)| {
        p["Version"] == "2012-10-17"
            && statements(p).iter().any(|s| {
                ["Resource", "NotResource"].iter().any(|k| {
                    strings(&s[*k])
                        .iter()
                        .any(|v| peer_resource_prefix(v).is_some_and(|pre| pre.contains("${")))
                })
            })
    }) {
        out.push("variable-in-resource-type");
    }

    // A negated string or ARN operator whose policy value holds a variable without a value
    // (absent, no default). AWS (policy variables): "Inverted condition operators like
    // StringNotEquals or StringNotLike do match against a null value, as the value of the
    // condition key they are testing against is not equal to or like the effectively null
    // value"; the peer makes such a policy value match nothing, so the negated operator fails.
    if any_condition(&|p, op, _, values| {
        p["Version"] == "2012-10-17"
            && (op.contains("StringNot") || op.contains("ArnNot"))
            && values.iter().any(|v| {
                v.match_indices("${").any(|(i, _)| {
                    let body = &v[i + 2..];
                    let body = &body[..body.find('}').unwrap_or(body.len())];
                    !body.contains(',')
                        && !["*", "?", "$"].contains(&body)
                        && !key_present(case, body.trim())
                })
            })
    }) {
        out.push("negated-operator-unset-variable");
    }

    // A policy variable before the fifth colon of an ARN operator's value, like
    // `arn:aws:iam::${aws:PrincipalAccount}:root`. AWS (policy variables): "You can use a policy
    // variable for Condition values in any condition that involves the string operators or the
    // ARN operators"; the peer splits the value at every colon, the variable's own included.
    if any_condition(&|p, op, _, values| {
        p["Version"] == "2012-10-17"
            && op.contains("Arn")
            && values.iter().any(|v| {
                let fifth = v.match_indices(':').nth(4).map_or(v.len(), |(i, _)| i);
                v.find("${").is_some_and(|i| i < fifth)
            })
    }) {
        out.push("variable-in-arn-condition-prefix");
    }

    // NotIpAddress with an IPv6 address in the request and an IPv4 range in the policy. AWS
    // (condition operators, IP address): NotIpAddress matches "All IP addresses except the
    // specified IP address or range"; the peer finds no match for an IPv6 address against an
    // IPv4 range under NotIpAddress as under IpAddress.
    if any_condition(&|_, op, key, values| {
        op.contains("NotIpAddress")
            && strings(&context[key]).iter().any(|v| v.contains(':'))
            && values.iter().any(|v| !v.contains(':'))
    }) {
        out.push("ipv6-request-vs-ipv4-range");
    }

    // A Deny with NotPrincipal that lists some of the caller's identities but not all. AWS
    // (NotPrincipal): "When you use NotPrincipal, you must also specify the account ARN of the
    // not-denied principal. Otherwise, the policy might deny access to the entire account
    // containing the principal. [...] When evaluating an assumed-role user [...] AWS checks the
    // account, then the role, and then the assumed-role user"; naming the account alone
    // exempts only the account's root user. The peer exempts a caller matching any entry:
    // every principal of a listed account, every session of a listed role, a user or session
    // listed without its account.
    if let Some(class) = partial_not_principal(case) {
        out.push(class);
    }

    // A session policy while the resource policy names the session's ARN. AWS (policy
    // evaluation logic, session policies): "if a resource-based policy specifies the ARN of the
    // session as a principal, the session policy does not limit those permissions"; the peer
    // requires the session policy to allow always.
    let session_named = case["session_policies"]
        .as_array()
        .is_some_and(|l| !l.is_empty())
        && all.iter().any(|(slot, p)| {
            matches!(slot, Slot::Resource | Slot::Trust)
                && statements(p).iter().any(|s| {
                    s["Effect"] == "Allow" && aws_principals(&s["Principal"]).contains(&caller)
                })
        });
    if session_named {
        out.push("session-policy-with-session-principal");
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Running the peer.

fn deps_dir() -> PathBuf {
    match std::env::var_os("MUDROOM_TEST_DEPS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-deps"),
    }
}

fn driver() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/node/iam-simulate-driver.mjs")
}

/// The peer's answer for each case id: a decision, or an error.
fn run_peer(node_dir: &Path, cases: &[Value]) -> BTreeMap<usize, Result<String, String>> {
    let mut child = Command::new("node")
        .arg(driver())
        .arg(node_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input: Vec<u8> = cases
        .iter()
        .enumerate()
        .flat_map(|(id, case)| {
            let mut line = serde_json::to_vec(&json!({"id": id, "request": case})).unwrap();
            line.push(b'\n');
            line
        })
        .collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).unwrap();
    });
    let stdout = child.stdout.take().unwrap();
    let mut out = BTreeMap::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let v: Value = serde_json::from_str(&line).unwrap();
        let id = v["id"].as_u64().unwrap() as usize;
        let answer = match (v["decision"].as_str(), v["error"].as_str()) {
            (Some(d), _) => Ok(d.to_string()),
            (None, Some(e)) => Err(e.to_string()),
            _ => Err(format!("malformed answer `{line}`")),
        };
        out.insert(id, answer);
    }
    writer.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "the node driver failed: {status}");
    out
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mudroom_agrees_with_iam_simulate() {
    let node_dir = deps_dir().join("node");
    let package = node_dir.join("node_modules/@cloud-copilot/iam-simulate/package.json");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !package.is_file() || !node_ok {
        let why = if node_ok {
            format!("{} is missing", package.display())
        } else {
            "`node` is not installed".to_string()
        };
        assert!(
            std::env::var_os("CI").is_none(),
            "differential test cannot run: {why}; run scripts/test-deps"
        );
        eprintln!("SKIP differential test: {why}; run scripts/test-deps to enable it");
        return;
    }

    let callers = callers();
    let mut generator = Gen {
        rng: Rng(SEED),
        callers: &callers,
    };
    let count = env_usize("MUDROOM_DIFF_CASES", DEFAULT_CASES);
    let cases: Vec<Value> = (0..count).map(|_| generator.case()).collect();
    let peer = run_peer(&node_dir, &cases);

    let mut compared = 0usize;
    let mut by_decision: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut skipped: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    for (id, case) in cases.iter().enumerate() {
        let ours = match RequestFile::from_value(case) {
            Ok(file) => file.decide(),
            Err(e) => {
                failures.push(format!("case {id}: mudroom refused the case: {e}\n{case}"));
                continue;
            }
        };
        let theirs = match peer.get(&id) {
            Some(Ok(d)) => d.as_str(),
            Some(Err(e)) => {
                failures.push(format!("case {id}: the peer refused the case: {e}\n{case}"));
                continue;
            }
            None => {
                failures.push(format!("case {id}: the peer gave no answer\n{case}"));
                continue;
            }
        };
        let classes = known_classes(case);
        if let Some(first) = classes.first() {
            *skipped.entry(first).or_default() += 1;
            continue;
        }
        compared += 1;
        *by_decision.entry(ours.as_str()).or_default() += 1;
        if ours.as_str() != theirs {
            failures.push(format!(
                "case {id}: mudroom {} but iam-simulate {theirs}\n{}",
                ours.as_str(),
                serde_json::to_string_pretty(case).unwrap()
            ));
        }
    }

    eprintln!(
        "differential: {count} cases, {compared} compared, {} disagreements",
        failures.len()
    );
    for (decision, n) in &by_decision {
        eprintln!("  compared with decision {decision}: {n}");
    }
    for (class, n) in &skipped {
        eprintln!("  skipped, known class {class}: {n}");
    }
    let show = env_usize("MUDROOM_DIFF_SHOW", DEFAULT_SHOW);
    assert!(
        failures.is_empty(),
        "{} of {count} cases disagree; the first {}:\n\n{}",
        failures.len(),
        show.min(failures.len()),
        failures
            .iter()
            .take(show)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
