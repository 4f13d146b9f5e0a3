"""The README's curl walk-through works exactly as written (against this test's stack address)."""

from __future__ import annotations

import json
import re
import subprocess

from local.template import ROOT


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- walkthrough:start -->\n```bash\n(.*?)```\n<!-- walkthrough:end -->", readme, re.S)
    assert block, "the README has lost its walk-through"
    return block.group(1)


def test_readme_walkthrough_runs_as_written(stack, tmp_path):
    script = walkthrough().replace("http://127.0.0.1:3000", f"http://{stack.host}:{stack.port}")
    run = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    # The answers are printed back to back: read them one after the other.
    answers, position, decoder = [], 0, json.JSONDecoder()
    while position < len(run.stdout):
        answer, position = decoder.raw_decode(run.stdout, position)
        answers.append(answer)
    created, delivered, payment, refund, refund_delivered, refunded, listing, cancelled, waiting = answers
    assert created["status"] == "pending" and created["payment_url"]
    assert delivered == {"delivered": True, "response_status": 200}
    assert payment["status"] == "succeeded"
    assert [entry["status"] for entry in payment["history"]] == ["pending", "succeeded"]
    assert (refund["status"], refund["amount"], refund["payment_id"]) == ("pending", "4.00", payment["id"])
    assert refund_delivered == {"delivered": True, "response_status": 200}
    assert (refunded["id"], refunded["status"]) == (refund["id"], "succeeded")
    assert listing["object"] == "list" and payment["id"] in [p["id"] for p in listing["data"]]
    assert all(p["reference"] == "order-123" for p in listing["data"])
    assert (cancelled["status"], cancelled["reference"]) == ("cancelled", "order-124")
    assert (waiting["provider"], waiting["status"]) == (None, "pending")
    assert waiting["checkout_url"].startswith(f"http://{stack.host}:{stack.port}/checkout/{waiting['id']}.")
