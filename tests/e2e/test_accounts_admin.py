"""scripts/accounts.py against the running local stack, as an operator runs it: the keys it issues work over
HTTP, each in its mode, and a key it revokes is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from local.template import ROOT
from tests.e2e.conftest import Api


def admin(stack, *args: str) -> Any:
    where = ["--local-url", f"http://{stack.host}:{stack.port}", "--json"]
    command = [sys.executable, "scripts/accounts.py", *args, *where]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_an_opened_accounts_keys_work_over_http_and_a_revoked_one_is_refused(stack):
    opened = admin(stack, "open", "--name", "Corner shop", "--support-email", "help@corner.example")
    account_id = opened["account"]["id"]
    keys = {key["mode"]: Api(stack, api_key=key["secret"]) for key in opened["keys"]}
    # the test key takes a sandbox payment; the live key reads the account's profile
    payment = keys["test"].create(reference="corner-1")
    assert payment["livemode"] is False
    profile = keys["live"].get("/account").json()
    assert (profile["id"], profile["display_name"]) == (account_id, "Corner shop")
    # the merchant sees its test key, never its secret; the operator sees that it was used
    [listed] = keys["test"].get("/api-keys").json()["data"]
    assert (listed["mode"], listed["secret"]) == ("test", None)
    used = {key["mode"]: key["last_used_at"] for key in admin(stack, "keys", account_id)}
    assert used["test"] is not None
    # a key issued and then revoked is refused
    issued = admin(stack, "issue", account_id, "--mode", "test", "--name", "staging")
    admin(stack, "revoke", account_id, issued["id"])
    refused = Api(stack, api_key=issued["secret"]).get("/payments")
    assert refused.status_code == 401, refused.text
    assert keys["test"].get("/payments").status_code == 200
