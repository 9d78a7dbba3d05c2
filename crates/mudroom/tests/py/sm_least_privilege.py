"""Least privilege with Secrets Manager: a role session reads what its policy grants and nothing
else; resource policies grant and deny; tag conditions apply.

The role `app` exists before the server starts. Its trust policy lets the account assume it; its
inline policy allows secretsmanager:GetSecretValue on `secret:app/*` and on secrets tagged
`team=red`, and secretsmanager:BatchGetSecretValue.
"""
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = os.environ["MUDROOM_ENDPOINT"]
account = os.environ.get("EXPECT_ACCOUNT", "000000000000")
cfg = Config(retries={"max_attempts": 1})
admin = boto3.client("secretsmanager", endpoint_url=endpoint, config=cfg)
role_arn = f"arn:aws:iam::{account}:role/app"


def fails(code, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, f"expected {code}, got {got}: {e.response['Error']}"
        return e.response["Error"].get("Message", "")
    sys.exit(f"{fn.__name__} {kwargs} succeeded, expected {code}")


admin.create_secret(Name="app/db", SecretString="db-password")
admin.create_secret(Name="other/key", SecretString="other-key")
admin.create_secret(Name="shared/red", SecretString="red-value", Tags=[{"Key": "team", "Value": "red"}])
admin.create_secret(Name="shared/blue", SecretString="blue-value", Tags=[{"Key": "team", "Value": "blue"}])

sts = boto3.client("sts", endpoint_url=endpoint, config=cfg)
creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
app = boto3.client(
    "secretsmanager",
    endpoint_url=endpoint,
    aws_access_key_id=creds["AccessKeyId"],
    aws_secret_access_key=creds["SecretAccessKey"],
    aws_session_token=creds["SessionToken"],
    config=cfg,
)

# What the identity policy grants, and nothing else.
assert app.get_secret_value(SecretId="app/db")["SecretString"] == "db-password"
msg = fails("AccessDeniedException", app.get_secret_value, SecretId="other/key")
assert "assumed-role/app/s1" in msg and "secretsmanager:GetSecretValue" in msg, msg
assert "other-key" not in msg, msg
fails("AccessDeniedException", app.describe_secret, SecretId="app/db")
fails("AccessDeniedException", app.put_secret_value, SecretId="app/db", SecretString="overwrite")
fails("AccessDeniedException", app.create_secret, Name="app/new", SecretString="x")
fails("AccessDeniedException", app.list_secrets)
fails("AccessDeniedException", app.get_random_password)
# A secret that does not exist: not found where the caller may read, denied elsewhere, so a
# caller learns nothing about names it may not read.
fails("ResourceNotFoundException", app.get_secret_value, SecretId="app/nothing")
fails("AccessDeniedException", app.get_secret_value, SecretId="other/nothing")

# Tag conditions: secretsmanager:ResourceTag/team.
assert app.get_secret_value(SecretId="shared/red")["SecretString"] == "red-value"
fails("AccessDeniedException", app.get_secret_value, SecretId="shared/blue")
admin.tag_resource(SecretId="shared/blue", Tags=[{"Key": "team", "Value": "red"}])
assert app.get_secret_value(SecretId="shared/blue")["SecretString"] == "blue-value"

# Batch reads check GetSecretValue per secret.
batch = app.batch_get_secret_value(SecretIdList=["app/db", "other/key"])
assert [v["Name"] for v in batch["SecretValues"]] == ["app/db"], batch
assert [(e["SecretId"], e["ErrorCode"]) for e in batch["Errors"]] == [("other/key", "AccessDeniedException")], batch

# A resource policy that denies wins over the identity policy's allow.
deny = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"NoApp","Effect":"Deny",'
    f'"Principal":{{"AWS":"{role_arn}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}'
)
admin.put_resource_policy(SecretId="app/db", ResourcePolicy=deny)
msg = fails("AccessDeniedException", app.get_secret_value, SecretId="app/db")
assert "explicit deny" in msg, msg
admin.delete_resource_policy(SecretId="app/db")
assert app.get_secret_value(SecretId="app/db")["SecretString"] == "db-password"

# A resource policy can grant what the identity policy does not.
allow = (
    '{"Version":"2012-10-17","Statement":[{"Sid":"App","Effect":"Allow",'
    f'"Principal":{{"AWS":"{role_arn}"}},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}]}}'
)
admin.put_resource_policy(SecretId="other/key", ResourcePolicy=allow, BlockPublicPolicy=True)
assert app.get_secret_value(SecretId="other/key")["SecretString"] == "other-key"

print("ok")
