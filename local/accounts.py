"""The local stack's merchant accounts: the keys it is given (PAYGATE_API_KEYS), each adopted as a key of
its account (opened if new). Seeding the same keys again changes nothing."""

from __future__ import annotations


def seed_accounts(api_keys: dict[str, str]) -> None:
    """Each of `api_keys` (key -> account id) as a key of its account, opened if new: live if the key says
    so (`pg_live_`), else test. Kept as every key is, hashed."""
    from paygate import service
    from paygate.accounts.models import Merchant, mode_of

    for key, account_id in api_keys.items():
        if service.accounts().account(account_id) is None:
            service.profiles().open(f"Local merchant {account_id}", account_id=account_id)
        service.api_keys().adopt(Merchant(account_id, livemode=mode_of(key) == "live"), key, "local")


def parse_api_keys(text: str) -> dict[str, str]:
    """`ACCOUNT_ID=API_KEY,...` (a bare key is its own account id) -> {key: account id}."""
    keys = {}
    for entry in (part.strip() for part in text.split(",")):
        account, _, key = entry.rpartition("=")
        if key:
            keys[key] = account or key
    return keys
