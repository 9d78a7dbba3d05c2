"""Every user named on stdin exists."""
import os
import sys

import boto3

iam = boto3.client("iam", endpoint_url=os.environ["MUDROOM_ENDPOINT"])
names = [line.strip() for line in open(os.environ["ACKED"]) if line.strip()]
existing = set()
for page in iam.get_paginator("list_users").paginate():
    existing.update(u["UserName"] for u in page["Users"])
missing = [n for n in names if n not in existing]
if missing:
    sys.exit(f"{len(missing)} acknowledged users lost: {missing[:10]}")
print(f"{len(names)} acknowledged users all present")
