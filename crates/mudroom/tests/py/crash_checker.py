"""Every acknowledged secret write (name, value) reads back: the newest value wins."""
import os
import sys

import boto3

sm = boto3.client("secretsmanager", endpoint_url=os.environ["MUDROOM_ENDPOINT"])
latest = {}
for line in open(os.environ["ACKED"]):
    line = line.strip()
    if line:
        name, value = line.split("\t")
        latest[name] = value
lost = []
for name, value in latest.items():
    try:
        got = sm.get_secret_value(SecretId=name)["SecretString"]
    except Exception as e:
        lost.append((name, type(e).__name__))
        continue
    # A write after the last acknowledged one may have committed before the kill.
    if got != value and not (value.startswith("v1:") and got == "v2:" + value[3:]):
        lost.append((name, got))
if lost:
    sys.exit(f"{len(lost)} acknowledged writes lost: {lost[:10]}")
print(f"{len(latest)} acknowledged secrets all present")
