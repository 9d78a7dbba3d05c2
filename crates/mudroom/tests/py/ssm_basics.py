"""Parameter Store through boto3: types, SecureString with and without decryption, versions,
selectors, labels, history, path queries with recursion and pagination, DescribeParameters
filters, tags, tiers, the version limit, deletes, and bad names refused with AWS's errors."""
import base64
import os
import sys

import boto3
import botocore.exceptions
from botocore.config import Config

endpoint = os.environ["MUDROOM_ENDPOINT"]
SECRET = os.environ["SECRET_MARKER"]
ARN = "arn:aws:ssm:us-east-1:000000000000:parameter"
ssm = boto3.client("ssm", endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))


def error(code, fn, **kw):
    """Calls fn(**kw), which must fail with `code`; returns the message."""
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        assert got == code, (fn.__name__, kw.get("Name"), code, e.response["Error"])
        return e.response["Error"].get("Message", "")
    sys.exit(f"{fn.__name__} on {kw.get('Name') or kw.get('Path')} succeeded; expected {code}")


def names(params):
    return sorted(p["Name"] for p in params)


def history(name, **kw):
    pages = ssm.get_paginator("get_parameter_history").paginate(Name=name, **kw)
    return [v for page in pages for v in page["Parameters"]]


# --- String: create, read, refuse a second create, overwrite (type and description kept) ----
r = ssm.put_parameter(Name="/app/db/host", Value="db1.internal", Type="String", Description="database host")
assert r["Version"] == 1 and r["Tier"] == "Standard", r
p = ssm.get_parameter(Name="/app/db/host")["Parameter"]
assert (p["Name"], p["Value"], p["Type"], p["Version"], p["DataType"]) == (
    "/app/db/host", "db1.internal", "String", 1, "text"), p
assert p["ARN"] == f"{ARN}/app/db/host", p["ARN"]
assert p["LastModifiedDate"].year >= 2024
error("ParameterAlreadyExists", ssm.put_parameter, Name="/app/db/host", Value="x", Type="String")
assert ssm.put_parameter(Name="/app/db/host", Value="db2.internal", Overwrite=True)["Version"] == 2
p = ssm.get_parameter(Name="/app/db/host")["Parameter"]
assert (p["Value"], p["Type"], p["Version"]) == ("db2.internal", "String", 2), p
meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/db/host"]}])["Parameters"]
assert len(meta) == 1, meta
assert meta[0]["Description"] == "database host" and meta[0]["Version"] == 2, meta
assert meta[0]["LastModifiedUser"].endswith(":user/admin"), meta
assert "Value" not in meta[0]

# --- StringList ------------------------------------------------------------------------------
ssm.put_parameter(Name="/app/hosts", Value="a,b,c", Type="StringList")
assert ssm.get_parameter(Name="/app/hosts")["Parameter"]["Value"] == "a,b,c"

# --- SecureString: opaque without decryption, plaintext with it ------------------------------
ssm.put_parameter(Name="/app/db/password", Value=SECRET, Type="SecureString")
enc = ssm.get_parameter(Name="/app/db/password")["Parameter"]
assert enc["Type"] == "SecureString" and enc["Value"] != SECRET and SECRET not in enc["Value"], enc
blob = base64.b64decode(enc["Value"], validate=True)
assert len(blob) == 12 + len(SECRET) + 16, len(blob)  # nonce, ciphertext, tag
dec = ssm.get_parameter(Name="/app/db/password", WithDecryption=True)["Parameter"]
assert dec["Value"] == SECRET
# Decryption of a String changes nothing.
assert ssm.get_parameter(Name="/app/db/host", WithDecryption=True)["Parameter"]["Value"] == "db2.internal"
meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": ["/app/db/password"]}])["Parameters"]
assert meta[0]["KeyId"] == "alias/aws/ssm", meta
error("InvalidKeyId", ssm.put_parameter, Name="/app/k", Value="v", Type="SecureString", KeyId="alias/other")
ssm.put_parameter(Name="/app/k", Value="v", Type="SecureString", KeyId="alias/aws/ssm")
error("ValidationException", ssm.put_parameter, Name="/app/s", Value="v", Type="String", KeyId="alias/aws/ssm")
# A parameter in a hierarchy keeps its type.
error("HierarchyTypeMismatchException", ssm.put_parameter, Name="/app/k", Value="v", Type="String", Overwrite=True)

# --- a name outside a hierarchy is one parameter with or without its slash --------------------
ssm.put_parameter(Name="flat", Value="1", Type="String")
assert ssm.get_parameter(Name="/flat")["Parameter"]["Value"] == "1"
error("ParameterAlreadyExists", ssm.put_parameter, Name="/flat", Value="2", Type="String")
p = ssm.get_parameter(Name=f"{ARN}/flat")["Parameter"]
assert p["Name"] == "flat" and p["ARN"] == f"{ARN}/flat", p
# Outside a hierarchy the type may change.
assert ssm.put_parameter(Name="flat", Value="1,2", Type="StringList", Overwrite=True)["Version"] == 2
assert ssm.get_parameter(Name="flat")["Parameter"]["Type"] == "StringList"
assert ssm.put_parameter(Name="flat", Value="1", Type="String", Overwrite=True)["Version"] == 3

# --- versions, selectors, labels -------------------------------------------------------------
for i in range(3, 6):
    ssm.put_parameter(Name="/app/db/host", Value=f"db{i}.internal", Overwrite=True)
sel = ssm.get_parameter(Name="/app/db/host:1")["Parameter"]
assert (sel["Name"], sel["Value"], sel["Version"], sel["Selector"]) == ("/app/db/host", "db1.internal", 1, ":1"), sel
msg = error("ParameterVersionNotFound", ssm.get_parameter, Name="/app/db/host:9")
assert "version 9" in msg, msg
r = ssm.label_parameter_version(Name="/app/db/host", ParameterVersion=2, Labels=["prod", "1bad", "awsx", "stable"])
assert r["ParameterVersion"] == 2 and sorted(r["InvalidLabels"]) == ["1bad", "awsx"], r
p = ssm.get_parameter(Name="/app/db/host:prod")["Parameter"]
assert (p["Version"], p["Value"], p["Selector"]) == (2, "db2.internal", ":prod"), p
error("ParameterNotFound", ssm.get_parameter, Name="/app/db/host:nolabel")
# A label moves: labelling the newest version (the default) takes it off version 2.
r = ssm.label_parameter_version(Name="/app/db/host", Labels=["prod"])
assert r["ParameterVersion"] == 5 and r["InvalidLabels"] == [], r
assert ssm.get_parameter(Name="/app/db/host:prod")["Parameter"]["Version"] == 5
# At most ten labels per version.
ssm.label_parameter_version(Name="/app/db/host", ParameterVersion=3, Labels=[f"l{i}" for i in range(10)])
error("ParameterVersionLabelLimitExceeded", ssm.label_parameter_version,
      Name="/app/db/host", ParameterVersion=3, Labels=["one-more"])
# Relabelling with labels it already has is no addition.
ssm.label_parameter_version(Name="/app/db/host", ParameterVersion=3, Labels=["l0", "l1"])
error("ValidationException", ssm.label_parameter_version, Name="/app/db/host", Labels=[f"m{i}" for i in range(11)])
error("ValidationException", ssm.label_parameter_version, Name="/app/db/host", Labels=["x" * 101])
error("ParameterVersionNotFound", ssm.label_parameter_version, Name="/app/db/host", ParameterVersion=42, Labels=["x"])
error("ParameterNotFound", ssm.label_parameter_version, Name="/nope", Labels=["x"])
r = ssm.unlabel_parameter_version(Name="/app/db/host", ParameterVersion=3, Labels=["l0", "zz"])
assert r["RemovedLabels"] == ["l0"] and r["InvalidLabels"] == ["zz"], r

# --- history -----------------------------------------------------------------------------------
h = ssm.get_parameter_history(Name="/app/db/host")["Parameters"]
assert [v["Version"] for v in h] == [1, 2, 3, 4, 5], h
assert [v["Value"] for v in h] == [f"db{i}.internal" for i in range(1, 6)]
labels = {v["Version"]: sorted(v["Labels"]) for v in h}
assert labels[2] == ["stable"] and labels[5] == ["prod"] and labels[1] == [], labels
assert labels[3] == [f"l{i}" for i in range(1, 10)], labels[3]
assert h[0]["Description"] == "database host" and h[0]["Type"] == "String"
page = ssm.get_parameter_history(Name="/app/db/host", MaxResults=2)
assert [v["Version"] for v in page["Parameters"]] == [1, 2] and "NextToken" in page, page
assert [v["Version"] for v in history("/app/db/host", PaginationConfig={"PageSize": 2})] == [1, 2, 3, 4, 5]
assert history("/app/db/password")[0]["Value"] != SECRET
assert history("/app/db/password", WithDecryption=True)[0]["Value"] == SECRET
error("ParameterNotFound", ssm.get_parameter_history, Name="/nope")

# --- GetParameters: found ones, and the rest in InvalidParameters -----------------------------
r = ssm.get_parameters(
    Names=["/app/db/host", "/app/db/password", "/missing", "/app/db/host:prod", "/app/db/host:77", "bad name"],
    WithDecryption=True,
)
got = {(p["Name"], p.get("Selector")): p["Value"] for p in r["Parameters"]}
assert got == {
    ("/app/db/host", None): "db5.internal",
    ("/app/db/password", None): SECRET,
    ("/app/db/host", ":prod"): "db5.internal",
}, got
assert sorted(r["InvalidParameters"]) == ["/app/db/host:77", "/missing", "bad name"], r
r = ssm.get_parameters(Names=["/app/db/password"])
assert r["Parameters"][0]["Value"] != SECRET

# --- GetParametersByPath: one level, recursive, pagination, filters ---------------------------
for i, n in enumerate(["/tree/a", "/tree/b", "/tree/sub/c", "/tree/sub/deeper/d", "/tree/sub2/e", "/treehouse/x"]):
    ssm.put_parameter(Name=n, Value=f"v{i}", Type="String")
for j in range(12):
    ssm.put_parameter(Name=f"/many/p{j:02d}", Value=str(j), Type="SecureString")
assert names(ssm.get_parameters_by_path(Path="/tree")["Parameters"]) == ["/tree/a", "/tree/b"]
assert names(ssm.get_parameters_by_path(Path="/tree/", Recursive=True)["Parameters"]) == [
    "/tree/a", "/tree/b", "/tree/sub/c", "/tree/sub/deeper/d", "/tree/sub2/e"]
assert names(ssm.get_parameters_by_path(Path="/tree/sub")["Parameters"]) == ["/tree/sub/c"]
root = names(ssm.get_parameters_by_path(Path="/")["Parameters"])
assert root == ["flat"], root
first = ssm.get_parameters_by_path(Path="/many", MaxResults=5)
assert len(first["Parameters"]) == 5 and "NextToken" in first, first
assert first["Parameters"][0]["Value"] != "0"  # SecureString, not decrypted
pages = ssm.get_paginator("get_parameters_by_path").paginate(
    Path="/many", WithDecryption=True, PaginationConfig={"PageSize": 5})
got = [p for page in pages for p in page["Parameters"]]
assert [p["Name"] for p in got] == [f"/many/p{j:02d}" for j in range(12)], got
assert [p["Value"] for p in got] == [str(j) for j in range(12)]
last = ssm.get_parameters_by_path(Path="/many", MaxResults=10, NextToken=first["NextToken"])
assert len(last["Parameters"]) == 7 and "NextToken" not in last, last
error("ValidationException", ssm.get_parameters_by_path, Path="/many", MaxResults=11)
error("InvalidNextToken", ssm.get_parameters_by_path, Path="/many", NextToken="garbage")
error("ValidationException", ssm.get_parameters_by_path, Path="tree")
r = ssm.get_parameters_by_path(Path="/", Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}])
assert names(r["Parameters"]) == ["/app/hosts"], r
error("InvalidFilterKey", ssm.get_parameters_by_path, Path="/", ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
error("InvalidFilterOption", ssm.get_parameters_by_path, Path="/",
      ParameterFilters=[{"Key": "Type", "Option": "Contains", "Values": ["String"]}])
error("InvalidFilterValue", ssm.get_parameters_by_path, Path="/",
      ParameterFilters=[{"Key": "Type", "Values": ["Number"]}])
# A label filter returns the labelled version.
r = ssm.get_parameters_by_path(Path="/app/db", ParameterFilters=[{"Key": "Label", "Values": ["stable"]}])
assert [(p["Name"], p["Version"], p["Value"]) for p in r["Parameters"]] == [("/app/db/host", 2, "db2.internal")], r

# --- DescribeParameters ------------------------------------------------------------------------
pages = ssm.get_paginator("describe_parameters").paginate(
    ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": ["/many"]}],
    PaginationConfig={"PageSize": 5})
described = [p["Name"] for page in pages for p in page["Parameters"]]
assert described == [f"/many/p{j:02d}" for j in range(12)], described
r = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Option": "BeginsWith", "Values": ["/tree/sub"]}])
assert names(r["Parameters"]) == ["/tree/sub/c", "/tree/sub/deeper/d", "/tree/sub2/e"], r
r = ssm.describe_parameters(ParameterFilters=[{"Key": "Path", "Values": ["/tree"]}])
assert names(r["Parameters"]) == ["/tree/a", "/tree/b"], r
r = ssm.describe_parameters(Filters=[{"Key": "Type", "Values": ["SecureString"]}], MaxResults=50)
assert "/app/db/password" in names(r["Parameters"]) and "/app/db/host" not in names(r["Parameters"])
r = ssm.describe_parameters(Filters=[{"Key": "Name", "Values": ["/tree/s"]}])
assert names(r["Parameters"]) == ["/tree/sub/c", "/tree/sub/deeper/d", "/tree/sub2/e"], r
error("ValidationException", ssm.describe_parameters,
      Filters=[{"Key": "Type", "Values": ["String"]}], ParameterFilters=[{"Key": "Type", "Values": ["String"]}])
error("InvalidFilterKey", ssm.describe_parameters, ParameterFilters=[{"Key": "Label", "Values": ["x"]}])
error("InvalidFilterKey", ssm.describe_parameters,
      ParameterFilters=[{"Key": "Type", "Values": ["String"]}, {"Key": "Type", "Values": ["String"]}])

# --- tags --------------------------------------------------------------------------------------
ssm.put_parameter(Name="/tagged", Value="t", Type="String", Tags=[{"Key": "team", "Value": "payments"}])
error("ValidationException", ssm.put_parameter, Name="/tagged", Value="t2", Overwrite=True,
      Tags=[{"Key": "a", "Value": "b"}])
ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId="/tagged",
                         Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "core"}])
tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tagged")["TagList"]
assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "prod"), ("team", "core")], tags
ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId="/tagged", TagKeys=["env"])
tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/tagged")["TagList"]
assert tags == [{"Key": "team", "Value": "core"}], tags
error("TooManyTagsError", ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId="/tagged",
      Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
error("InvalidResourceId", ssm.list_tags_for_resource, ResourceType="Parameter", ResourceId="/nope")
error("InvalidResourceType", ssm.list_tags_for_resource, ResourceType="Document", ResourceId="x")
error("ValidationException", ssm.add_tags_to_resource, ResourceType="Parameter", ResourceId="/tagged",
      Tags=[{"Key": "aws:reserved", "Value": "v"}])
r = ssm.describe_parameters(ParameterFilters=[{"Key": "tag:team", "Values": ["core"]}])
assert names(r["Parameters"]) == ["/tagged"], r

# --- names refused as AWS refuses them ---------------------------------------------------------
for bad in ["a b", "no/leading/slash", "/a//b", "/trailing/", "x@y", "/"]:
    msg = error("ValidationException", ssm.put_parameter, Name=bad, Value="v", Type="String")
    assert "sub-paths" in msg, (bad, msg)
for reserved in ["awsParam", "SSM-param", "/ssm/x/y", "/AWSflat"]:
    msg = error("ValidationException", ssm.put_parameter, Name=reserved, Value="v", Type="String")
    assert "prefixed" in msg, (reserved, msg)
error("AccessDeniedException", ssm.put_parameter, Name="/aws/x/y", Value="v", Type="String")
error("HierarchyLevelLimitExceededException", ssm.put_parameter,
      Name="/" + "/".join(f"l{i}" for i in range(16)), Value="v", Type="String")
ssm.put_parameter(Name="/" + "/".join(f"l{i}" for i in range(15)), Value="v", Type="String")
msg = error("ValidationException", ssm.put_parameter, Name="/" + "n" * 1000, Value="v", Type="String")
assert "1011" in msg, msg
error("ValidationException", ssm.put_parameter, Name=f"{ARN}/x", Value="v", Type="String")
error("ValidationException", ssm.put_parameter, Name="/new", Value="v")  # a type is required
error("ValidationException", ssm.get_parameter, Name="no/leading/slash")
error("ParameterNotFound", ssm.get_parameter, Name="/never/was")

# --- allowed patterns (values never in errors) -------------------------------------------------
ssm.put_parameter(Name="/port", Value="8080", Type="String", AllowedPattern=r"^\d+$")
msg = error("ParameterPatternMismatchException", ssm.put_parameter, Name="/port", Value="not-a-port", Overwrite=True)
assert "not-a-port" not in msg, msg
assert ssm.put_parameter(Name="/port", Value="9090", Overwrite=True)["Version"] == 2
error("InvalidAllowedPatternException", ssm.put_parameter, Name="/bad-pattern", Value="x", Type="String", AllowedPattern="(")
msg = error("ParameterPatternMismatchException", ssm.put_parameter, Name="/pin", Value=SECRET,
            Type="SecureString", AllowedPattern=r"\d{4}")
assert SECRET not in msg, msg
error("ParameterNotFound", ssm.get_parameter, Name="/pin")

# --- tiers -------------------------------------------------------------------------------------
error("ValidationException", ssm.put_parameter, Name="/big", Value="x" * 4097, Type="String")
assert ssm.put_parameter(Name="/big", Value="x" * 4097, Type="String", Tier="Advanced")["Tier"] == "Advanced"
error("ValidationException", ssm.put_parameter, Name="/big", Value="y", Overwrite=True, Tier="Standard")
assert ssm.put_parameter(Name="/big", Value="y", Overwrite=True)["Tier"] == "Advanced"
error("ValidationException", ssm.put_parameter, Name="/bigger", Value="x" * 8193, Type="String", Tier="Advanced")
assert ssm.put_parameter(Name="/auto", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")["Tier"] == "Advanced"
assert ssm.put_parameter(Name="/auto-small", Value="x", Type="String", Tier="Intelligent-Tiering")["Tier"] == "Standard"
assert ssm.put_parameter(Name="/four-k", Value="x" * 4096, Type="String")["Tier"] == "Standard"

# --- at most 100 versions: the oldest goes, unless it carries a label --------------------------
ssm.put_parameter(Name="/churn", Value="1", Type="String")
for i in range(2, 101):
    ssm.put_parameter(Name="/churn", Value=str(i), Overwrite=True)
ssm.label_parameter_version(Name="/churn", ParameterVersion=1, Labels=["first"])
msg = error("ParameterMaxVersionLimitExceeded", ssm.put_parameter, Name="/churn", Value="101", Overwrite=True)
assert "Version 1" in msg, msg
ssm.label_parameter_version(Name="/churn", ParameterVersion=100, Labels=["first"])
assert ssm.put_parameter(Name="/churn", Value="101", Overwrite=True)["Version"] == 101
versions = [v["Version"] for v in history("/churn")]
assert versions == list(range(2, 102)), versions[:3]
error("ParameterVersionNotFound", ssm.get_parameter, Name="/churn:1")
assert ssm.get_parameter(Name="/churn:2")["Parameter"]["Value"] == "2"

# --- deletes -----------------------------------------------------------------------------------
ssm.delete_parameter(Name="/app/hosts")
error("ParameterNotFound", ssm.get_parameter, Name="/app/hosts")
error("ParameterNotFound", ssm.delete_parameter, Name="/app/hosts")
r = ssm.delete_parameters(Names=["/tree/a", "/tree/b", "/never"])
assert sorted(r["DeletedParameters"]) == ["/tree/a", "/tree/b"] and r["InvalidParameters"] == ["/never"], r
# A name made again starts over at version 1, with no trace of the old versions or labels.
ssm.delete_parameter(Name="/app/db/host")
assert ssm.put_parameter(Name="/app/db/host", Value="fresh", Type="String")["Version"] == 1
assert [v["Labels"] for v in history("/app/db/host")] == [[]]
assert ssm.get_parameter(Name="/app/db/host")["Parameter"]["Value"] == "fresh"
error("ParameterNotFound", ssm.get_parameter, Name="/app/db/host:prod")

print("ok")
