"""Seal the webhook signing secrets that endpoints registered before sealing still keep in clear (see
README, "Webhook signing secrets at rest").

    python scripts/seal_webhook_secrets.py --stack paygate [--dry-run]

Until then such an endpoint signs as before, and its next rotate-secret seals it; this seals them all now,
with the stack's key (outputs WebhookEndpointsTableName, WebhookSecretsKeyArn; region and credentials as
the AWS CLI finds them, which must allow kms:Encrypt on the key). Each endpoint is one versioned write, so
deliveries and the API go on meanwhile; a second run changes nothing. It prints how many endpoints it
sealed, never a secret."""

from __future__ import annotations

import argparse

import boto3
from redrive import outputs

from paygate.webhooks.sealing import SecretSealer, seal_in_clear
from paygate.webhooks.store import WebhookStore


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--dry-run", action="store_true", help="count them, change nothing")
    args = parser.parse_args(argv)
    stack = outputs(boto3.client("cloudformation"), args.stack)
    # The deliveries table is not read here: the store needs a name for it only.
    store = WebhookStore(stack["WebhookEndpointsTableName"], "", boto3.client("dynamodb"))
    sealer = SecretSealer(boto3.client("kms"), stack["WebhookSecretsKeyArn"])
    count = seal_in_clear(store, sealer, dry_run=args.dry_run)
    print(f"{count} endpoints {'would be' if args.dry_run else 'were'} sealed")


if __name__ == "__main__":
    main()
