"""Secrets Manager through boto3: the whole life of secrets, as the administrator."""
import base64
import os
import sys
import uuid

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = os.environ["MUDROOM_ENDPOINT"]
account = os.environ.get("EXPECT_ACCOUNT", "000000000000")
sm = boto3.client(
    "secretsmanager", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1})
)
prefix = f"arn:aws:secretsmanager:us-east-1:{account}:secret:"


def fails(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e.response['Error']}"
        return e.response["Error"].get("Message", "")
    sys.exit(f"{fn.__name__} {args} {kwargs} succeeded, expected {code}")


# --- create, read, describe ----------------------------------------------------------------
token = str(uuid.uuid4())
created = sm.create_secret(
    Name="app/db",
    SecretString='{"user":"app","password":"pw-1"}',
    Description="Main database",
    Tags=[{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "prod"}],
    KmsKeyId="alias/ignored",
    ClientRequestToken=token,
)
arn = created["ARN"]
assert arn.startswith(prefix + "app/db-"), arn
assert len(arn) == len(prefix + "app/db-") + 6, arn
assert created["Name"] == "app/db" and created["VersionId"] == token, created

# The same request again (same token, same value) is answered the same way.
again = sm.create_secret(Name="app/db", SecretString='{"user":"app","password":"pw-1"}', ClientRequestToken=token)
assert again["ARN"] == arn and again["VersionId"] == token, again
msg = fails("ResourceExistsException", sm.create_secret, Name="app/db", SecretString="other")
assert "other" not in msg, msg

got = sm.get_secret_value(SecretId="app/db")
assert got["SecretString"] == '{"user":"app","password":"pw-1"}', got
assert got["VersionStages"] == ["AWSCURRENT"] and got["VersionId"] == token, got
assert got["ARN"] == arn and got["Name"] == "app/db", got
assert got["CreatedDate"].year >= 2024, got

# By full ARN and by partial ARN (without the random suffix).
assert sm.get_secret_value(SecretId=arn)["VersionId"] == token
assert sm.get_secret_value(SecretId=prefix + "app/db")["VersionId"] == token
fails("ResourceNotFoundException", sm.get_secret_value, SecretId="app/db-XXXXXX")
msg = fails("ResourceNotFoundException", sm.get_secret_value, SecretId="no/such")
assert msg == "Secrets Manager can't find the specified secret.", msg

d = sm.describe_secret(SecretId="app/db")
assert d["Description"] == "Main database", d
assert d["KmsKeyId"] == "alias/ignored", d
assert d["VersionIdsToStages"] == {token: ["AWSCURRENT"]}, d
assert {(t["Key"], t["Value"]) for t in d["Tags"]} == {("team", "red"), ("env", "prod")}, d
assert d["RotationEnabled"] is False and "DeletedDate" not in d, d
assert d["LastAccessedDate"].timestamp() % 86400 == 0, d
assert d["LastChangedDate"] >= d["CreatedDate"], d

# --- binary secrets ------------------------------------------------------------------------
blob = bytes(range(256)) * 4
b = sm.create_secret(Name="app/cert", SecretBinary=blob)
got = sm.get_secret_value(SecretId=b["ARN"])
assert got["SecretBinary"] == blob and "SecretString" not in got, got.keys()
fails("InvalidParameterException", sm.create_secret, Name="both", SecretString="a", SecretBinary=b"b")
fails("InvalidParameterException", sm.create_secret, Name="too-big", SecretBinary=b"x" * 65537)
big = sm.create_secret(Name="just-fits", SecretString="y" * 65536)
assert len(sm.get_secret_value(SecretId=big["ARN"])["SecretString"]) == 65536
fails("InvalidParameterException", sm.create_secret, Name="bad name!", SecretString="x")

# --- versions and staging labels -----------------------------------------------------------
v2 = sm.put_secret_value(SecretId="app/db", SecretString="pw-2")
assert v2["VersionStages"] == ["AWSCURRENT"], v2
assert sm.get_secret_value(SecretId="app/db")["SecretString"] == "pw-2"
prev = sm.get_secret_value(SecretId="app/db", VersionStage="AWSPREVIOUS")
assert prev["VersionId"] == token and prev["SecretString"].endswith('"pw-1"}'), prev
assert sm.get_secret_value(SecretId="app/db", VersionId=token)["VersionStages"] == ["AWSPREVIOUS"]
fails("ResourceNotFoundException", sm.get_secret_value, SecretId="app/db", VersionId=token, VersionStage="AWSCURRENT")
fails("ResourceNotFoundException", sm.get_secret_value, SecretId="app/db", VersionStage="NOPE")

# Idempotent put; reusing a version id for another value is refused.
t3 = str(uuid.uuid4())
v3 = sm.put_secret_value(SecretId="app/db", SecretString="pw-3", ClientRequestToken=t3)
v3b = sm.put_secret_value(SecretId="app/db", SecretString="pw-3", ClientRequestToken=t3)
assert v3b["VersionId"] == v3["VersionId"] == t3, (v3, v3b)
fails("ResourceExistsException", sm.put_secret_value, SecretId="app/db", SecretString="pw-x", ClientRequestToken=t3)
fails("InvalidParameterException", sm.put_secret_value, SecretId="app/db")

# A pending version does not move AWSCURRENT.
pending = sm.put_secret_value(SecretId="app/db", SecretString="pw-4", VersionStages=["AWSPENDING"])
assert pending["VersionStages"] == ["AWSPENDING"], pending
assert sm.get_secret_value(SecretId="app/db")["SecretString"] == "pw-3"
assert sm.get_secret_value(SecretId="app/db", VersionStage="AWSPENDING")["SecretString"] == "pw-4"

stages = sm.describe_secret(SecretId="app/db")["VersionIdsToStages"]
assert stages == {
    t3: ["AWSCURRENT"],
    v2["VersionId"]: ["AWSPREVIOUS"],
    pending["VersionId"]: ["AWSPENDING"],
}, stages
ids = sm.list_secret_version_ids(SecretId="app/db")["Versions"]
assert {v["VersionId"] for v in ids} == set(stages), ids
everything = sm.list_secret_version_ids(SecretId="app/db", IncludeDeprecated=True)["Versions"]
assert len(everything) == 4 and token in {v["VersionId"] for v in everything}, everything
page = sm.list_secret_version_ids(SecretId="app/db", IncludeDeprecated=True, MaxResults=3)
assert len(page["Versions"]) == 3 and page["NextToken"], page
rest = sm.list_secret_version_ids(SecretId="app/db", IncludeDeprecated=True, MaxResults=3, NextToken=page["NextToken"])
assert len(rest["Versions"]) == 1 and "NextToken" not in rest, rest

# Promote the pending version: the holder of AWSCURRENT must be named; it becomes AWSPREVIOUS.
fails("InvalidParameterException", sm.update_secret_version_stage, SecretId="app/db",
      VersionStage="AWSCURRENT", MoveToVersionId=pending["VersionId"])
sm.update_secret_version_stage(SecretId="app/db", VersionStage="AWSCURRENT",
                               MoveToVersionId=pending["VersionId"], RemoveFromVersionId=t3)
stages = sm.describe_secret(SecretId="app/db")["VersionIdsToStages"]
assert stages[pending["VersionId"]] == ["AWSCURRENT", "AWSPENDING"], stages
assert stages[t3] == ["AWSPREVIOUS"], stages
sm.update_secret_version_stage(SecretId="app/db", VersionStage="AWSPENDING", RemoveFromVersionId=pending["VersionId"])
assert sm.get_secret_value(SecretId="app/db")["SecretString"] == "pw-4"
fails("InvalidParameterException", sm.update_secret_version_stage, SecretId="app/db",
      VersionStage="AWSCURRENT", RemoveFromVersionId=pending["VersionId"])

# UpdateSecret: metadata and a new value.
u = sm.update_secret(SecretId="app/db", Description="Primary database", SecretString="pw-5")
assert u["VersionId"] and sm.get_secret_value(SecretId="app/db")["SecretString"] == "pw-5"
assert sm.describe_secret(SecretId="app/db")["Description"] == "Primary database"
u = sm.update_secret(SecretId="app/db", Description="Only the description")
assert "VersionId" not in u, u

# --- tags ----------------------------------------------------------------------------------
sm.tag_resource(SecretId="app/db", Tags=[{"Key": "team", "Value": "blue"}, {"Key": "tier", "Value": "1"}])
sm.untag_resource(SecretId="app/db", TagKeys=["env"])
tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId="app/db")["Tags"]}
assert tags == {"team": "blue", "tier": "1"}, tags
fails("InvalidParameterException", sm.tag_resource, SecretId="app/db", Tags=[{"Key": "aws:x", "Value": "1"}])
fails("InvalidParameterException", sm.tag_resource, SecretId="app/db",
      Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(49)])

# --- listing -------------------------------------------------------------------------------
for i in range(5):
    sm.create_secret(Name=f"list/item-{i}", SecretString=f"v{i}", Description=f"Item number {i}")
names = lambda r: [s["Name"] for s in r["SecretList"]]
everything = sm.list_secrets()
assert set(names(everything)) >= {"app/db", "app/cert", "list/item-0", "list/item-4"}, names(everything)
entry = [s for s in everything["SecretList"] if s["Name"] == "app/db"][0]
assert entry["SecretVersionsToStages"] and entry["Description"] == "Only the description", entry
assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["list/"]}])) == [f"list/item-{i}" for i in range(5)]
assert names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["List/"]}])) == []
assert names(sm.list_secrets(Filters=[{"Key": "description", "Values": ["item NUMBER 3"]}])) == ["list/item-3"]
assert names(sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["tier"]}])) == ["app/db"]
assert names(sm.list_secrets(Filters=[{"Key": "tag-value", "Values": ["blu"]}])) == ["app/db"]
assert names(sm.list_secrets(Filters=[{"Key": "all", "Values": ["primary"]}])) == [], "old description"
assert names(sm.list_secrets(Filters=[{"Key": "all", "Values": ["ONLY"]}])) == ["app/db"]
assert "app/db" not in names(sm.list_secrets(Filters=[{"Key": "name", "Values": ["!app/"]}]))
by_name = names(sm.list_secrets(SortBy="name", SortOrder="desc", Filters=[{"Key": "name", "Values": ["list/"]}]))
assert by_name == [f"list/item-{i}" for i in reversed(range(5))], by_name
seen, kwargs = [], {"MaxResults": 2, "Filters": [{"Key": "name", "Values": ["list/"]}]}
while True:
    r = sm.list_secrets(**kwargs)
    assert len(r["SecretList"]) <= 2
    seen += names(r)
    if "NextToken" not in r:
        break
    kwargs["NextToken"] = r["NextToken"]
assert seen == [f"list/item-{i}" for i in range(5)], seen
fails("InvalidNextTokenException", sm.list_secrets, NextToken="not-a-token")
paginated = [s["Name"] for p in sm.get_paginator("list_secrets").paginate(PaginationConfig={"PageSize": 3}) for s in p["SecretList"]]
assert set(paginated) == set(names(everything)), paginated

# --- batch reads ---------------------------------------------------------------------------
batch = sm.batch_get_secret_value(SecretIdList=["app/db", "list/item-1", "no/such"])
assert [v["Name"] for v in batch["SecretValues"]] == ["app/db", "list/item-1"], batch
assert batch["SecretValues"][1]["SecretString"] == "v1", batch
assert [(e["SecretId"], e["ErrorCode"]) for e in batch["Errors"]] == [("no/such", "ResourceNotFoundException")], batch
batch = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": ["list/"]}], MaxResults=20)
assert sorted(v["SecretString"] for v in batch["SecretValues"]) == [f"v{i}" for i in range(5)], batch

# --- random passwords ----------------------------------------------------------------------
p = sm.get_random_password()["RandomPassword"]
assert len(p) == 32 and any(c.isdigit() for c in p) and any(c.isupper() for c in p), p
p = sm.get_random_password(PasswordLength=64, ExcludePunctuation=True, ExcludeCharacters="abcdef", IncludeSpace=False)["RandomPassword"]
assert len(p) == 64 and p.isalnum() and not set(p) & set("abcdef"), p
p = sm.get_random_password(PasswordLength=20, ExcludeNumbers=True, ExcludeUppercase=True, ExcludeLowercase=True)["RandomPassword"]
assert len(p) == 20 and not any(c.isalnum() for c in p), p
fails("InvalidParameterException", sm.get_random_password, PasswordLength=2)
assert sm.get_random_password() != sm.get_random_password()

# --- resource policies ---------------------------------------------------------------------
role_policy = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"App","Effect":"Allow",'
    f'"Principal":{{"AWS":"arn:aws:iam::{account}:role/app"}},'
    '"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
)
public_policy = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"Everyone","Effect":"Allow","Principal":"*",'
    '"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
)
v = sm.validate_resource_policy(ResourcePolicy=role_policy)
assert v["PolicyValidationPassed"] is True and v["ValidationErrors"] == [], v
v = sm.validate_resource_policy(SecretId="app/db", ResourcePolicy=public_policy)
assert v["PolicyValidationPassed"] is False, v
assert v["ValidationErrors"][0]["CheckName"] == "BLOCK_PUBLIC_POLICY", v
fails("MalformedPolicyDocumentException", sm.put_resource_policy, SecretId="app/db", ResourcePolicy='{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}')
fails("MalformedPolicyDocumentException", sm.validate_resource_policy, ResourcePolicy="not json")
fails("PublicPolicyException", sm.put_resource_policy, SecretId="app/db", ResourcePolicy=public_policy, BlockPublicPolicy=True)
assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="app/db")
sm.put_resource_policy(SecretId="app/db", ResourcePolicy=role_policy, BlockPublicPolicy=True)
assert sm.get_resource_policy(SecretId="app/db")["ResourcePolicy"] == role_policy
sm.delete_resource_policy(SecretId="app/db")
assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="app/db")

# --- deletion and restore ------------------------------------------------------------------
fails("InvalidParameterException", sm.delete_secret, SecretId="app/cert", RecoveryWindowInDays=6)
fails("InvalidParameterException", sm.delete_secret, SecretId="app/cert", RecoveryWindowInDays=31)
fails("InvalidParameterException", sm.delete_secret, SecretId="app/cert", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
deleted = sm.delete_secret(SecretId="app/cert", RecoveryWindowInDays=7)
window = deleted["DeletionDate"] - sm.describe_secret(SecretId="app/cert")["DeletedDate"]
assert abs(window.total_seconds() - 7 * 86400) < 5, window
marked = "You can't perform this operation on the secret because it was marked for deletion."
assert fails("InvalidRequestException", sm.get_secret_value, SecretId="app/cert") == marked
fails("InvalidRequestException", sm.put_secret_value, SecretId="app/cert", SecretString="x")
fails("InvalidRequestException", sm.tag_resource, SecretId="app/cert", Tags=[{"Key": "a", "Value": "b"}])
fails("InvalidRequestException", sm.delete_secret, SecretId="app/cert")
fails("InvalidRequestException", sm.create_secret, Name="app/cert", SecretString="x")
assert "app/cert" not in names(sm.list_secrets())
assert "app/cert" in names(sm.list_secrets(IncludePlannedDeletion=True))
batch = sm.batch_get_secret_value(SecretIdList=["app/cert"])
assert batch["Errors"][0]["ErrorCode"] == "InvalidRequestException", batch
restored = sm.restore_secret(SecretId="app/cert")
assert restored["ARN"] == b["ARN"], restored
assert sm.get_secret_value(SecretId="app/cert")["SecretBinary"] == blob
assert "DeletedDate" not in sm.describe_secret(SecretId="app/cert")

# Forced deletion is immediate; the name is free again, with a new ARN.
sm.delete_secret(SecretId="app/cert", ForceDeleteWithoutRecovery=True)
fails("ResourceNotFoundException", sm.describe_secret, SecretId="app/cert")
sm.delete_secret(SecretId="app/cert", ForceDeleteWithoutRecovery=True)
fails("ResourceNotFoundException", sm.delete_secret, SecretId="app/cert")
again = sm.create_secret(Name="app/cert", SecretString="new")
assert again["ARN"] != b["ARN"], again
fails("ResourceNotFoundException", sm.get_secret_value, SecretId=b["ARN"])

# --- what is not supported says so ---------------------------------------------------------
msg = fails("InvalidRequestException", sm.rotate_secret, SecretId="app/db",
            RotationLambdaARN=f"arn:aws:lambda:us-east-1:{account}:function:rotate")
assert "rotation is not supported" in msg, msg
fails("ResourceNotFoundException", sm.rotate_secret, SecretId="no/such")

# A secret made without a value has no version until one is put.
empty = sm.create_secret(Name="later")
assert "VersionId" not in empty, empty
fails("ResourceNotFoundException", sm.get_secret_value, SecretId="later")
first = sm.put_secret_value(SecretId="later", SecretString="now", VersionStages=["CUSTOM"])
assert first["VersionStages"] == ["AWSCURRENT", "CUSTOM"], first

print("ok")
