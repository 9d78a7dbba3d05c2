"""The quickstart function: greets by name, and reads the app's database secret at run time.

The secret comes from the Parameters and Secrets extension on localhost, which asks the
platform's Secrets Manager with the function's own credentials: the role's policy decides.
"""

import json
import os
import urllib.parse
import urllib.request

SECRET_ID = "app/db"

_secret = None


def read_secret(secret_id):
    """The secret's value, from the extension's local endpoint."""
    port = os.environ.get("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", "2773")
    query = urllib.parse.urlencode({"secretId": secret_id}, safe="/")
    request = urllib.request.Request(
        f"http://localhost:{port}/secretsmanager/get?{query}",
        headers={"X-Aws-Parameters-Secrets-Token": os.environ["AWS_SESSION_TOKEN"]},
    )
    with urllib.request.urlopen(request, timeout=2) as response:
        return json.load(response)["SecretString"]


def handler(event, context):
    """API Gateway payload 2.0 in, a greeting out."""
    global _secret
    if _secret is None:
        _secret = read_secret(SECRET_ID)
    name = (event.get("pathParameters") or {}).get("name", "world")
    greeting = os.environ.get("GREETING", "hello")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        # never the secret itself: only that it was read
        "body": json.dumps({"message": f"{greeting}, {name}!", "database": "configured"}),
    }
