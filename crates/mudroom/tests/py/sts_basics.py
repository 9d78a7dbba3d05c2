"""STS through boto3: caller identity, a tampered signature, a forged session token."""
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = os.environ["MUDROOM_ENDPOINT"]
cfg = Config(retries={"max_attempts": 1})
sts = boto3.client("sts", endpoint_url=endpoint, config=cfg)

me = sts.get_caller_identity()
assert me["Arn"].endswith(":user/admin"), me
assert me["Account"] == os.environ.get("EXPECT_ACCOUNT", me["Account"]), me

bad = boto3.client(
    "sts",
    endpoint_url=endpoint,
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    # Change the last character (to something it is not).
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"][:-1]
    + ("y" if os.environ["AWS_SECRET_ACCESS_KEY"].endswith("x") else "x"),
    config=cfg,
)
try:
    bad.get_caller_identity()
    sys.exit("a tampered secret was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "SignatureDoesNotMatch", e.response

unknown = boto3.client(
    "sts",
    endpoint_url=endpoint,
    aws_access_key_id="AKIAUNKNOWNUNKNOWN00",
    aws_secret_access_key="x" * 40,
    config=cfg,
)
try:
    unknown.get_caller_identity()
    sys.exit("an unknown key was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidClientTokenId", e.response

forged = boto3.client(
    "sts",
    endpoint_url=endpoint,
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    aws_session_token="forged",
    config=cfg,
)
try:
    forged.get_caller_identity()
    sys.exit("a forged session token was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] in ("InvalidClientTokenId", "InvalidToken"), e.response

print("ok")
