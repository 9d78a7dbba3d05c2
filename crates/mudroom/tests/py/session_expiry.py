"""Creates a role and assumes it; with MODE=check, uses saved session credentials."""
import json
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = os.environ["MUDROOM_ENDPOINT"]
saved = os.environ["SAVED"]
cfg = Config(retries={"max_attempts": 1})

if os.environ.get("MODE") == "check":
    creds = json.load(open(saved))
    sts = boto3.client("sts", endpoint_url=endpoint, config=cfg, **creds)
    try:
        sts.get_caller_identity()
        sys.exit("expired session credentials were accepted")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "ExpiredToken", e.response
    print("ok")
    sys.exit(0)

iam = boto3.client("iam", endpoint_url=endpoint, config=cfg)
trust = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "sts:AssumeRole"}],
}
iam.create_role(RoleName="short", AssumeRolePolicyDocument=json.dumps(trust))
# AWS_ENDPOINT_URL alone (no endpoint_url argument) reaches mudroom too.
os.environ["AWS_ENDPOINT_URL"] = endpoint
sts = boto3.client("sts", config=cfg)
out = sts.assume_role(RoleArn="arn:aws:iam::000000000000:role/short", RoleSessionName="s1", DurationSeconds=900)
c = out["Credentials"]
creds = {
    "aws_access_key_id": c["AccessKeyId"],
    "aws_secret_access_key": c["SecretAccessKey"],
    "aws_session_token": c["SessionToken"],
}
session = boto3.client("sts", config=cfg, **creds)
me = session.get_caller_identity()
assert me["Arn"] == "arn:aws:sts::000000000000:assumed-role/short/s1", me
json.dump(creds, open(saved, "w"))
print("ok")
