"""Least privilege on Parameter Store: a role allowed ssm:GetParameter on /app/* (and on
parameters tagged team=payments) reads those and nothing else."""
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = os.environ["MUDROOM_ENDPOINT"]
role_arn = os.environ["ROLE_ARN"]
cfg = Config(retries={"max_attempts": 1})
admin = boto3.client("ssm", endpoint_url=endpoint, config=cfg)


def denied(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == "AccessDeniedException", (fn.__name__, kw, err)
        return err["Message"]
    sys.exit(f"{fn.__name__}({kw}) was allowed")


admin.put_parameter(Name="/app/db", Value="app-db-value", Type="String")
admin.put_parameter(Name="/app/secret", Value="app-secret-value", Type="SecureString")
admin.put_parameter(Name="/other/key", Value="other-value", Type="String")
admin.put_parameter(Name="/team/pay", Value="pay-value", Type="String", Tags=[{"Key": "team", "Value": "payments"}])
admin.put_parameter(Name="/team/core", Value="core-value", Type="String", Tags=[{"Key": "team", "Value": "core"}])

creds = boto3.client("sts", endpoint_url=endpoint, config=cfg).assume_role(
    RoleArn=role_arn, RoleSessionName="reader")["Credentials"]
reader = boto3.client(
    "ssm",
    endpoint_url=endpoint,
    aws_access_key_id=creds["AccessKeyId"],
    aws_secret_access_key=creds["SecretAccessKey"],
    aws_session_token=creds["SessionToken"],
    config=cfg,
)

assert reader.get_parameter(Name="/app/db")["Parameter"]["Value"] == "app-db-value"
assert reader.get_parameter(Name="/app/secret", WithDecryption=True)["Parameter"]["Value"] == "app-secret-value"
assert reader.get_parameter(Name="/app/db:1")["Parameter"]["Value"] == "app-db-value"
msg = denied(reader.get_parameter, Name="/other/key")
assert "ssm:GetParameter" in msg and "parameter/other/key" in msg and "assumed-role/ssm-reader/reader" in msg, msg
assert "other-value" not in msg
# Whether a parameter exists is not revealed to who may not read it.
denied(reader.get_parameter, Name="/other/missing")
# The tag condition: team=payments is readable, team=core is not.
assert reader.get_parameter(Name="/team/pay")["Parameter"]["Value"] == "pay-value"
denied(reader.get_parameter, Name="/team/core")
# Other actions on the allowed parameters are refused.
denied(reader.put_parameter, Name="/app/db", Value="changed", Overwrite=True)
denied(reader.get_parameters, Names=["/app/db"])
denied(reader.get_parameters_by_path, Path="/app")
denied(reader.delete_parameter, Name="/app/db")
denied(reader.describe_parameters)
denied(reader.label_parameter_version, Name="/app/db", Labels=["x"])
denied(reader.add_tags_to_resource, ResourceType="Parameter", ResourceId="/app/db", Tags=[{"Key": "k", "Value": "v"}])
# Nothing changed.
assert admin.get_parameter(Name="/app/db")["Parameter"]["Version"] == 1
assert admin.list_tags_for_resource(ResourceType="Parameter", ResourceId="/app/db")["TagList"] == []
print("ok")
