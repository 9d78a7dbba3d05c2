//! The fast path of evaluation allocates nothing: checked with a counting allocator.

use mudroom_policy::request::RequestFile;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

#[test]
fn decide_does_not_allocate() {
    let cases = [
        // Identity allow with a variable and a condition.
        serde_json::json!({
            "principal": {"arn": "arn:aws:sts::111122223333:assumed-role/app/s1", "tags": {"team": "blue"}},
            "action": "secretsmanager:GetSecretValue",
            "resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:blue/db-AbCdEf",
            "context": {"aws:SourceIp": "10.1.2.3", "aws:TagKeys": ["a", "b"], "aws:CurrentTime": "2026-01-01T00:00:00Z"},
            "identity_policies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "secretsmanager:Get*", "Resource": "arn:aws:secretsmanager:*:*:secret:${aws:PrincipalTag/team}/*",
                 "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}, "ForAllValues:StringLike": {"aws:TagKeys": ["a*", "b"]},
                               "DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}},
                {"Effect": "Deny", "NotAction": "secretsmanager:*", "NotResource": "arn:aws:s3:::x"}
            ]}],
            "permissions_boundary": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]},
            "session_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:*", "Resource": "*"}]}],
            "service_control_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]
        }),
        // Cross-account role assumption through a trust policy.
        serde_json::json!({
            "principal": {"arn": "arn:aws:iam::111122223333:user/alice"},
            "action": "sts:AssumeRole",
            "resource": "arn:aws:iam::444455556666:role/deploy",
            "identity_policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}],
            "resource_policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole"}]}
        }),
    ];
    for case in cases {
        let file = RequestFile::from_value(&case).unwrap_or_else(|e| panic!("{e}"));
        let expected = file.explain().decision;
        let region = Region::new(GLOBAL);
        let decision = file.decide();
        let stats = region.change();
        assert_eq!(decision, expected);
        assert_eq!(stats.allocations, 0, "decide allocated for {case}");
        assert_eq!(stats.reallocations, 0, "decide reallocated for {case}");
    }
}
