"""Reads one secret with boto3 and checks it: SECRET_ID, and EXPECT_STRING or EXPECT_BINARY_HEX
for AWSCURRENT; EXPECT_PREVIOUS_STRING for AWSPREVIOUS when given; EXPECT_DESCRIPTION."""
import os

import boto3
from botocore.config import Config

sm = boto3.client(
    "secretsmanager",
    endpoint_url=os.environ["MUDROOM_ENDPOINT"],
    config=Config(retries={"max_attempts": 1}),
)
secret_id = os.environ["SECRET_ID"]
got = sm.get_secret_value(SecretId=secret_id)
assert got["VersionStages"] == ["AWSCURRENT"], got["VersionStages"]
if "EXPECT_STRING" in os.environ:
    assert got.get("SecretString") == os.environ["EXPECT_STRING"], "AWSCURRENT holds another value"
if "EXPECT_BINARY_HEX" in os.environ:
    assert got.get("SecretBinary") == bytes.fromhex(os.environ["EXPECT_BINARY_HEX"]), "AWSCURRENT holds other bytes"
if "EXPECT_PREVIOUS_STRING" in os.environ:
    prev = sm.get_secret_value(SecretId=secret_id, VersionStage="AWSPREVIOUS")
    assert prev.get("SecretString") == os.environ["EXPECT_PREVIOUS_STRING"], "AWSPREVIOUS holds another value"
if "EXPECT_DESCRIPTION" in os.environ:
    d = sm.describe_secret(SecretId=secret_id)
    assert d.get("Description") == os.environ["EXPECT_DESCRIPTION"], d.get("Description")
print("ok")
