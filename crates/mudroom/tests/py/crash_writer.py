"""Creates IAM users in a loop, printing each name once the server has acknowledged it."""
import os
import sys

import boto3
from botocore.config import Config

iam = boto3.client(
    "iam",
    endpoint_url=os.environ["MUDROOM_ENDPOINT"],
    config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
)
prefix = os.environ["PREFIX"]
for i in range(int(os.environ.get("COUNT", "100000"))):
    name = f"{prefix}-{i}"
    try:
        iam.create_user(UserName=name)
    except Exception as e:  # the server was killed: stop
        print(f"stopped: {type(e).__name__}", file=sys.stderr)
        break
    print(name, flush=True)
