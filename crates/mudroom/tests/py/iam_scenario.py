"""IAM through boto3: a role for an app, assumed with STS; a limited user; malformed policies;
access keys switched off; managed policies and versions; pagination; the policy simulator.

Leaves the role `app-role` behind for the aws CLI check that follows."""
import json
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = os.environ["MUDROOM_ENDPOINT"]
cfg = Config(retries={"max_attempts": 1})


def client(service, creds=None):
    kwargs = {}
    if creds:
        kwargs = {
            "aws_access_key_id": creds["AccessKeyId"],
            "aws_secret_access_key": creds["SecretAccessKey"],
            "aws_session_token": creds.get("SessionToken"),
        }
    return boto3.client(service, endpoint_url=endpoint, config=cfg, **kwargs)


def fails(code, fn, *args, **kwargs):
    """Calls fn, which must fail with `code`; returns the error."""
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"{fn.__name__}: expected {code}, got {got}: {e.response}"
        return e.response
    sys.exit(f"{fn.__name__} succeeded; expected {code}")


iam = client("iam")
sts = client("sts")
account = sts.get_caller_identity()["Account"]

trust = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}
read_app_secrets = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadAppSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": "arn:aws:secretsmanager:*:*:secret:app/*",
        }
    ],
}

# --- a role for the app ---------------------------------------------------------------------
created = iam.create_role(
    RoleName="app-role",
    AssumeRolePolicyDocument=json.dumps(trust),
    Description="the app",
    Tags=[{"Key": "team", "Value": "blue"}],
)["Role"]
role_arn = f"arn:aws:iam::{account}:role/app-role"
assert created["Arn"] == role_arn, created
assert created["RoleId"].startswith("AROA"), created
assert created["AssumeRolePolicyDocument"] == trust, created
fails("EntityAlreadyExists", iam.create_role, RoleName="APP-ROLE", AssumeRolePolicyDocument=json.dumps(trust))
iam.put_role_policy(RoleName="app-role", PolicyName="read-app-secrets", PolicyDocument=json.dumps(read_app_secrets))
got = iam.get_role_policy(RoleName="app-role", PolicyName="read-app-secrets")
assert got["PolicyDocument"] == read_app_secrets, got
assert iam.list_role_policies(RoleName="app-role")["PolicyNames"] == ["read-app-secrets"]
role = iam.get_role(RoleName="app-role")["Role"]
assert role["Description"] == "the app" and role["MaxSessionDuration"] == 3600, role
assert role["Tags"] == [{"Key": "team", "Value": "blue"}], role
fails("NoSuchEntity", iam.get_role, RoleName="no-such-role")
fails("NoSuchEntity", iam.get_role_policy, RoleName="app-role", PolicyName="nope")

iam.update_role(RoleName="app-role", Description="the app, updated", MaxSessionDuration=7200)
iam.tag_role(RoleName="app-role", Tags=[{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "red"}])
iam.untag_role(RoleName="app-role", TagKeys=["env"])
assert iam.list_role_tags(RoleName="app-role")["Tags"] == [{"Key": "team", "Value": "red"}]
role = iam.get_role(RoleName="app-role")["Role"]
assert role["Description"] == "the app, updated" and role["MaxSessionDuration"] == 7200, role

# --- assume it ----------------------------------------------------------------------------------
session = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
as_role = client("sts", session)
me = as_role.get_caller_identity()
assert me["Arn"] == f"arn:aws:sts::{account}:assumed-role/app-role/s1", me
role_iam = client("iam", session)
denied = fails("AccessDenied", role_iam.create_role, RoleName="x", AssumeRolePolicyDocument=json.dumps(trust))
assert "iam:CreateRole" in denied["Error"]["Message"], denied
assert denied["ResponseMetadata"]["HTTPStatusCode"] == 403, denied

# --- malformed policies -------------------------------------------------------------------------
bad = {"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}]}
err = fails("MalformedPolicyDocument", iam.put_role_policy, RoleName="app-role", PolicyName="bad", PolicyDocument=json.dumps(bad))
assert "Statement[0].Effect" in err["Error"]["Message"], err
err = fails("MalformedPolicyDocument", iam.create_policy, PolicyName="bad", PolicyDocument="{not json")
err = fails("MalformedPolicyDocument", iam.update_assume_role_policy, RoleName="app-role", PolicyDocument=json.dumps(read_app_secrets))
assert "Principal" in err["Error"]["Message"], err

# --- a limited user -----------------------------------------------------------------------------
user = iam.create_user(UserName="limited", Path="/team/", Tags=[{"Key": "dept", "Value": "ops"}])["User"]
assert user["Arn"] == f"arn:aws:iam::{account}:user/team/limited", user
limited_policy = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "ReadRoles", "Effect": "Allow", "Action": ["iam:GetRole", "iam:ListRoles"], "Resource": "*"},
        {"Sid": "OwnKeys", "Effect": "Allow", "Action": ["iam:GetUser", "iam:ListAccessKeys"], "Resource": "arn:aws:iam::*:user/*/${aws:username}"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:Delete*", "Resource": "*"},
    ],
}
iam.put_user_policy(UserName="limited", PolicyName="limited", PolicyDocument=json.dumps(limited_policy))
key1 = iam.create_access_key(UserName="limited")["AccessKey"]
assert key1["Status"] == "Active" and key1["UserName"] == "limited", key1
limited = client("iam", key1)
assert limited.get_role(RoleName="app-role")["Role"]["Arn"] == role_arn
assert limited.get_user()["User"]["UserName"] == "limited"
assert [k["AccessKeyId"] for k in limited.list_access_keys()["AccessKeyMetadata"]] == [key1["AccessKeyId"]]
denied = fails("AccessDenied", limited.create_role, RoleName="mine", AssumeRolePolicyDocument=json.dumps(trust))
assert f"arn:aws:iam::{account}:user/team/limited" in denied["Error"]["Message"], denied
fails("AccessDenied", limited.delete_role, RoleName="app-role")
fails("AccessDenied", limited.get_user, UserName="admin")
fails("ValidationError", role_iam.get_user)

# --- access keys: a deactivated key stops working -----------------------------------------------
key2 = iam.create_access_key(UserName="limited")["AccessKey"]
fails("LimitExceeded", iam.create_access_key, UserName="limited")
key2_sts = client("sts", key2)
assert key2_sts.get_caller_identity()["Arn"].endswith(":user/team/limited")
iam.update_access_key(UserName="limited", AccessKeyId=key2["AccessKeyId"], Status="Inactive")
fails("InvalidClientTokenId", key2_sts.get_caller_identity)
statuses = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="limited")["AccessKeyMetadata"]}
assert statuses == {key1["AccessKeyId"]: "Active", key2["AccessKeyId"]: "Inactive"}, statuses
iam.update_access_key(UserName="limited", AccessKeyId=key2["AccessKeyId"], Status="Active")
assert key2_sts.get_caller_identity()["Account"] == account
iam.delete_access_key(UserName="limited", AccessKeyId=key2["AccessKeyId"])
fails("InvalidClientTokenId", key2_sts.get_caller_identity)
fails("NoSuchEntity", iam.delete_access_key, UserName="limited", AccessKeyId=key2["AccessKeyId"])
fails("DeleteConflict", iam.delete_user, UserName="limited")

# --- managed policies, versions, attachments, boundaries ----------------------------------------
policy = iam.create_policy(PolicyName="read-app", Path="/app/", PolicyDocument=json.dumps(read_app_secrets), Description="reads")["Policy"]
parn = policy["Arn"]
assert parn == f"arn:aws:iam::{account}:policy/app/read-app", policy
assert policy["DefaultVersionId"] == "v1" and policy["AttachmentCount"] == 0, policy
v2_doc = dict(read_app_secrets, Statement=[dict(read_app_secrets["Statement"][0], Resource="*")])
v2 = iam.create_policy_version(PolicyArn=parn, PolicyDocument=json.dumps(v2_doc), SetAsDefault=True)["PolicyVersion"]
assert v2["VersionId"] == "v2" and v2["IsDefaultVersion"] is True, v2
assert iam.get_policy_version(PolicyArn=parn, VersionId="v1")["PolicyVersion"]["Document"] == read_app_secrets
versions = {v["VersionId"]: v["IsDefaultVersion"] for v in iam.list_policy_versions(PolicyArn=parn)["Versions"]}
assert versions == {"v1": False, "v2": True}, versions
fails("DeleteConflict", iam.delete_policy_version, PolicyArn=parn, VersionId="v2")
iam.set_default_policy_version(PolicyArn=parn, VersionId="v1")
iam.delete_policy_version(PolicyArn=parn, VersionId="v2")
fails("NoSuchEntity", iam.get_policy_version, PolicyArn=parn, VersionId="v2")
iam.attach_role_policy(RoleName="app-role", PolicyArn=parn)
attached = iam.list_attached_role_policies(RoleName="app-role")["AttachedPolicies"]
assert attached == [{"PolicyName": "read-app", "PolicyArn": parn}], attached
assert iam.get_policy(PolicyArn=parn)["Policy"]["AttachmentCount"] == 1
fails("DeleteConflict", iam.delete_policy, PolicyArn=parn)
fails("NoSuchEntity", iam.attach_role_policy, RoleName="app-role", PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")
local = [p["Arn"] for p in iam.list_policies(Scope="Local")["Policies"]]
assert local == [parn], local
assert iam.list_policies(Scope="AWS")["Policies"] == []
iam.put_user_permissions_boundary(UserName="limited", PermissionsBoundary=parn)
assert iam.get_user(UserName="limited")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == parn
# The boundary allows no iam action now: the limited user loses GetRole.
fails("AccessDenied", limited.get_role, RoleName="app-role")
iam.delete_user_permissions_boundary(UserName="limited")
assert limited.get_role(RoleName="app-role")["Role"]["RoleName"] == "app-role"

# --- the policy simulator -------------------------------------------------------------------
secret = f"arn:aws:secretsmanager:us-east-1:{account}:secret:app/db-AbCdEf"
other = f"arn:aws:secretsmanager:us-east-1:{account}:secret:other/db-AbCdEf"
sim = iam.simulate_principal_policy(
    PolicySourceArn=role_arn,
    ActionNames=["secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue"],
    ResourceArns=[secret, other],
)["EvaluationResults"]
decisions = {(r["EvalActionName"], r["EvalResourceName"]): r["EvalDecision"] for r in sim}
assert decisions == {
    ("secretsmanager:GetSecretValue", secret): "allowed",
    ("secretsmanager:GetSecretValue", other): "implicitDeny",
    ("secretsmanager:PutSecretValue", secret): "implicitDeny",
    ("secretsmanager:PutSecretValue", other): "implicitDeny",
}, decisions
allowed = sim[0]
ids = sorted(m["SourcePolicyId"] for m in allowed["MatchedStatements"])
assert ids == ["read-app", "read-app-secrets"], allowed
inline = next(m for m in allowed["MatchedStatements"] if m["SourcePolicyId"] == "read-app-secrets")
assert inline["SourcePolicyType"] == "role", inline
assert inline["StartPosition"]["Line"] == 1 and inline["StartPosition"]["Column"] > 1, inline
assert allowed["ResourceSpecificResults"][0]["EvalResourceDecision"] == "allowed", allowed

sim = iam.simulate_principal_policy(
    PolicySourceArn=user["Arn"],
    ActionNames=["iam:GetRole", "iam:CreateRole", "iam:DeleteRole"],
)["EvaluationResults"]
decisions = {r["EvalActionName"]: r["EvalDecision"] for r in sim}
assert decisions == {"iam:GetRole": "allowed", "iam:CreateRole": "implicitDeny", "iam:DeleteRole": "explicitDeny"}, decisions
deny = next(r for r in sim if r["EvalActionName"] == "iam:DeleteRole")
assert [m["SourcePolicyId"] for m in deny["MatchedStatements"]] == ["limited"], deny
# ${aws:username} resolves to the simulated user.
sim = iam.simulate_principal_policy(
    PolicySourceArn=user["Arn"],
    ActionNames=["iam:GetUser"],
    ResourceArns=[user["Arn"], f"arn:aws:iam::{account}:user/team/someone-else"],
)["EvaluationResults"]
assert [r["EvalDecision"] for r in sim] == ["allowed", "implicitDeny"], sim
fails("NoSuchEntity", iam.simulate_principal_policy, PolicySourceArn=f"arn:aws:iam::{account}:role/nope", ActionNames=["s3:GetObject"])

conditional = {
    "Version": "2012-10-17",
    "Statement": {
        "Effect": "Allow",
        "Action": "dynamodb:*",
        "Resource": "*",
        "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2018-08-16T12:00:00Z"}},
    },
}
text = json.dumps(conditional, separators=(",", ":"))
later = iam.simulate_custom_policy(
    PolicyInputList=[text],
    ActionNames=["dynamodb:CreateBackup"],
    ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2019-04-25T11:00:00Z"], "ContextKeyType": "date"}],
)["EvaluationResults"][0]
assert later["EvalDecision"] == "allowed", later
statement = later["MatchedStatements"][0]
assert statement["SourcePolicyId"] == "PolicyInputList.1", statement
start = text.index('"Statement":') + len('"Statement":')
assert statement["StartPosition"] == {"Line": 1, "Column": start + 2}, statement
assert statement["EndPosition"] == {"Line": 1, "Column": len(text)}, statement
earlier = iam.simulate_custom_policy(
    PolicyInputList=[text],
    ActionNames=["dynamodb:CreateBackup"],
    ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": ["2014-04-25T11:00:00Z"], "ContextKeyType": "date"}],
)["EvaluationResults"][0]
assert earlier["EvalDecision"] == "implicitDeny" and earlier["MatchedStatements"] == [], earlier
missing = iam.simulate_custom_policy(PolicyInputList=[text], ActionNames=["dynamodb:CreateBackup"])["EvaluationResults"][0]
assert missing["EvalDecision"] == "implicitDeny" and missing["MissingContextValues"] == ["aws:CurrentTime"], missing
bounded = iam.simulate_custom_policy(
    PolicyInputList=[json.dumps(v2_doc)],
    PermissionsBoundaryPolicyInputList=[json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})],
    ActionNames=["secretsmanager:GetSecretValue"],
)["EvaluationResults"][0]
assert bounded["EvalDecision"] == "implicitDeny", bounded
assert bounded["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}, bounded
fails("InvalidInput", iam.simulate_custom_policy, PolicyInputList=['{"Statement": 1}'], ActionNames=["s3:GetObject"])

# --- listing and pagination ---------------------------------------------------------------------
for i in range(3):
    iam.create_role(RoleName=f"batch-{i}", Path="/batch/", AssumeRolePolicyDocument=json.dumps(trust))
first = iam.list_roles(PathPrefix="/batch/", MaxItems=2)
assert first["IsTruncated"] is True and [r["RoleName"] for r in first["Roles"]] == ["batch-0", "batch-1"], first
rest = iam.list_roles(PathPrefix="/batch/", MaxItems=2, Marker=first["Marker"])
assert rest["IsTruncated"] is False and [r["RoleName"] for r in rest["Roles"]] == ["batch-2"], rest
names = [r["RoleName"] for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 1}) for r in page["Roles"]]
assert names == ["app-role", "batch-0", "batch-1", "batch-2"], names
fails("InvalidInput", iam.list_roles, Marker="garbage")
users = [u["UserName"] for u in iam.list_users()["Users"]]
assert users == ["admin", "limited"], users
assert [u["UserName"] for u in iam.list_users(PathPrefix="/team/")["Users"]] == ["limited"]

# --- deleting -----------------------------------------------------------------------------------
iam.put_role_policy(RoleName="batch-0", PolicyName="p", PolicyDocument=json.dumps(read_app_secrets))
fails("DeleteConflict", iam.delete_role, RoleName="batch-0")
iam.delete_role_policy(RoleName="batch-0", PolicyName="p")
for i in range(3):
    iam.delete_role(RoleName=f"batch-{i}")
fails("NoSuchEntity", iam.delete_role, RoleName="batch-0")
iam.detach_role_policy(RoleName="app-role", PolicyArn=parn)
fails("NoSuchEntity", iam.detach_role_policy, RoleName="app-role", PolicyArn=parn)
iam.delete_policy(PolicyArn=parn)
fails("NoSuchEntity", iam.get_policy, PolicyArn=parn)
iam.delete_user_policy(UserName="limited", PolicyName="limited")
iam.delete_access_key(UserName="limited", AccessKeyId=key1["AccessKeyId"])
iam.delete_user(UserName="limited")
fails("NoSuchEntity", iam.get_user, UserName="limited")
fails("InvalidClientTokenId", limited.get_role, RoleName="app-role")

print("ok")
