"""Exercises every path a secret value takes (create, read, versions, idempotent retries,
refusals, batch reads, deletion and restore) with distinctive values from the environment:
MARKER (text) and MARKER_BINARY_HEX (bytes). The test then looks for them on disk and in the
server's stderr. Error messages must never carry a value."""
import os
import sys
import uuid

import boto3
import botocore.exceptions
from botocore.config import Config

sm = boto3.client(
    "secretsmanager",
    endpoint_url=os.environ["MUDROOM_ENDPOINT"],
    config=Config(retries={"max_attempts": 1}),
)
marker = os.environ["MARKER"]
binary = bytes.fromhex(os.environ["MARKER_BINARY_HEX"])


def refused(code, fn, **kwargs):
    try:
        fn(**kwargs)
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        assert err["Code"] == code, err
        assert marker not in str(e.response), "an error carries the secret value"
        return
    sys.exit(f"{fn.__name__} succeeded, expected {code}")


token = str(uuid.uuid4())
sm.create_secret(Name="canary/text", SecretString=marker, ClientRequestToken=token)
sm.create_secret(Name="canary/text", SecretString=marker, ClientRequestToken=token)
sm.create_secret(Name="canary/bytes", SecretBinary=binary)
assert sm.get_secret_value(SecretId="canary/text")["SecretString"] == marker
assert sm.get_secret_value(SecretId="canary/bytes")["SecretBinary"] == binary

t2 = str(uuid.uuid4())
sm.put_secret_value(SecretId="canary/text", SecretString=marker + "-v2", ClientRequestToken=t2)
sm.put_secret_value(SecretId="canary/text", SecretString=marker + "-v2", ClientRequestToken=t2)
sm.update_secret(SecretId="canary/text", SecretString=marker + "-v3")
sm.put_secret_value(SecretId="canary/bytes", SecretBinary=binary + b"\x00v2")

refused("ResourceExistsException", sm.create_secret, Name="canary/text", SecretString=marker + "-dup")
refused("ResourceExistsException", sm.put_secret_value, SecretId="canary/text",
        SecretString=marker + "-other", ClientRequestToken=t2)
refused("InvalidParameterException", sm.create_secret, Name="canary/big", SecretString=marker * 4000)
refused("InvalidParameterException", sm.create_secret, Name="canary bad", SecretString=marker)
refused("InvalidParameterException", sm.create_secret, Name="canary/both", SecretString=marker, SecretBinary=binary)
refused("ResourceNotFoundException", sm.put_secret_value, SecretId="canary/none", SecretString=marker)

batch = sm.batch_get_secret_value(SecretIdList=["canary/text", "canary/bytes"])
assert len(batch["SecretValues"]) == 2, batch["Errors"]
assert sm.get_secret_value(SecretId="canary/text", VersionStage="AWSPREVIOUS")["SecretString"] == marker + "-v2"

sm.delete_secret(SecretId="canary/bytes", RecoveryWindowInDays=7)
refused("InvalidRequestException", sm.get_secret_value, SecretId="canary/bytes")
refused("InvalidRequestException", sm.put_secret_value, SecretId="canary/bytes", SecretString=marker)
sm.restore_secret(SecretId="canary/bytes")
assert sm.get_secret_value(SecretId="canary/bytes")["SecretBinary"] == binary + b"\x00v2"
print("ok")
