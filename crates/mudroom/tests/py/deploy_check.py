"""The quickstart's role is deployed: Lambda trust, the app tag, its inline policy."""
import json
import os
import urllib.parse

import boto3

iam = boto3.client("iam", endpoint_url=os.environ["MUDROOM_ENDPOINT"])
role = iam.get_role(RoleName="hello-role")["Role"]
trust = role["AssumeRolePolicyDocument"]
if isinstance(trust, str):
    trust = json.loads(urllib.parse.unquote(trust))
assert trust["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}, trust
tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName="hello-role")["Tags"]}
assert tags.get("mudroom:app") == "quickstart", tags
assert iam.list_role_policies(RoleName="hello-role")["PolicyNames"] == ["hello"]
sim = iam.simulate_principal_policy(
    PolicySourceArn=role["Arn"],
    ActionNames=["secretsmanager:GetSecretValue"],
    ResourceArns=[
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf",
        "arn:aws:secretsmanager:us-east-1:000000000000:secret:other/key-AbCdEf",
    ],
)
decisions = {r["EvalResourceName"]: r["EvalDecision"] for r in sim["EvaluationResults"]}
assert decisions["arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-AbCdEf"] == "allowed", decisions
assert decisions["arn:aws:secretsmanager:us-east-1:000000000000:secret:other/key-AbCdEf"] == "implicitDeny", decisions
print("ok")
