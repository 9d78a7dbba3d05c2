"""Writes secrets in a loop, printing each name once the server has acknowledged it."""
import os
import sys

import boto3
from botocore.config import Config

sm = boto3.client(
    "secretsmanager",
    endpoint_url=os.environ["MUDROOM_ENDPOINT"],
    config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
)
prefix = os.environ["PREFIX"]
for i in range(int(os.environ.get("COUNT", "100000"))):
    name = f"crash/{prefix}-{i}"
    try:
        if i % 3 == 2:
            # Every third write is a new version of an earlier secret.
            sm.put_secret_value(SecretId=f"crash/{prefix}-{i - 1}", SecretString=f"v2:{prefix}-{i - 1}")
            print(f"crash/{prefix}-{i - 1}\tv2:{prefix}-{i - 1}", flush=True)
        else:
            sm.create_secret(Name=name, SecretString=f"v1:{prefix}-{i}")
            print(f"{name}\tv1:{prefix}-{i}", flush=True)
    except Exception as e:  # the server was killed: stop
        print(f"stopped: {type(e).__name__}", file=sys.stderr)
        break
