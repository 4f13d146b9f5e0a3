"""The checkout links' signing key, rotated with an overlap (moto's Secrets Manager): new links are signed
with the current key, links of the previous key open until the next rotation, and a link of any other key
never opens."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from paygate.checkout.links import CheckoutLinks, SecretKeys
from paygate.errors import CheckoutNotConfigured
from tests import factories

BASE = "https://api.example/v1"


class Ticks:
    """monotonic(), moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def links(dynamodb, ticks) -> CheckoutLinks:
    keys = SecretKeys(factories.CHECKOUT_SECRET_NAME, max_age=300, clock=ticks)
    return CheckoutLinks(keys, reread=keys.reread)


def rotate(value: str) -> None:
    """The documented rotation: put a new value; Secrets Manager keeps the last one as AWSPREVIOUS."""
    boto3.client("secretsmanager").put_secret_value(SecretId=factories.CHECKOUT_SECRET_NAME, SecretString=value)


def token(url: str) -> str:
    return url.rsplit("/", 1)[1]


def test_a_link_of_the_previous_key_opens_during_the_overlap_and_new_links_use_the_new_key(links, clock, ticks):
    expires_at = clock() + timedelta(hours=1)
    before = token(links.url(BASE, "pay_before", expires_at))
    rotate("the-new-key")
    ticks.now += 300  # every function reads the secret again within its cache age
    after = token(links.url(BASE, "pay_after", expires_at))
    assert links.payment_id(before, clock()) == "pay_before"
    assert links.payment_id(after, clock()) == "pay_after"
    new_key_only = CheckoutLinks(lambda: [b"the-new-key"])
    assert new_key_only.payment_id(after, clock()) == "pay_after"  # signed with the new key
    assert new_key_only.payment_id(before, clock()) is None
    # The next rotation ends the overlap: the first key opens nothing any more
    rotate("a-third-key")
    ticks.now += 300
    assert links.payment_id(before, clock()) is None
    assert links.payment_id(after, clock()) == "pay_after"


def test_a_link_signed_with_an_unknown_key_does_not_open(links, clock):
    forged = token(CheckoutLinks(lambda: [b"not-the-stack-key"]).url(BASE, "pay_1", clock() + timedelta(hours=1)))
    rotate("the-new-key")
    assert links.payment_id(forged, clock()) is None
    genuine = token(links.url(BASE, "pay_1", clock() + timedelta(hours=1)))
    assert forged.split(".")[:2] == genuine.split(".")[:2] and links.payment_id(genuine, clock()) == "pay_1"


def test_a_container_that_read_the_keys_before_a_rotation_opens_the_new_keys_links(links, clock, ticks):
    # Given a function that read the keys, then a rotation it has not seen (its cache is still young)
    old_reader = links
    old_reader.url(BASE, "pay_0", clock() + timedelta(hours=1))
    rotate("the-new-key")
    new_link = token(CheckoutLinks(lambda: [b"the-new-key"]).url(BASE, "pay_1", clock() + timedelta(hours=1)))
    # Then a link of the new key is found by reading again (once the last read is REREAD_SECONDS old)
    ticks.now += SecretKeys.REREAD_SECONDS
    assert old_reader.payment_id(new_link, clock()) == "pay_1"


def test_forged_links_read_the_secret_at_most_once_per_reread_interval(dynamodb, clock, ticks):
    reads = []
    client = boto3.client("secretsmanager")
    real = client.get_secret_value

    def counted(**request):
        reads.append(request.get("VersionStage", "AWSCURRENT"))
        return real(**request)

    client.get_secret_value = counted  # type: ignore[method-assign]
    keys = SecretKeys(factories.CHECKOUT_SECRET_NAME, max_age=300, client=client, clock=ticks)
    links = CheckoutLinks(keys, reread=keys.reread)
    forged = f"pay_1.{int(clock().timestamp()) + 3600}.{'A' * 43}"
    for _ in range(50):
        assert links.payment_id(forged, clock()) is None
    assert reads == ["AWSCURRENT", "AWSPREVIOUS"]  # one read of both versions, however many forgeries
    ticks.now += SecretKeys.REREAD_SECONDS
    assert links.payment_id(forged, clock()) is None
    assert len(reads) == 4


def test_keys_that_cannot_be_read_are_checkout_not_configured_and_nothing_is_kept(dynamodb, ticks):
    with pytest.raises(CheckoutNotConfigured):
        SecretKeys("paygate/no-such-secret", max_age=300, clock=ticks)()
    # A previous version that exists but cannot be read now is not taken for "never rotated"
    client = boto3.client("secretsmanager")
    real = client.get_secret_value
    denied = {"Error": {"Code": "AccessDeniedException", "Message": "no"}}

    def flaky(**request):
        if request.get("VersionStage") == "AWSPREVIOUS" and not flaky.healed:
            raise ClientError(denied, "GetSecretValue")
        return real(**request)

    flaky.healed = False  # type: ignore[attr-defined]
    client.get_secret_value = flaky  # type: ignore[method-assign]
    rotate("the-new-key")
    keys = SecretKeys(factories.CHECKOUT_SECRET_NAME, max_age=300, client=client, clock=ticks)
    with pytest.raises(CheckoutNotConfigured):
        keys()
    flaky.healed = True  # type: ignore[attr-defined]
    assert keys() == [b"the-new-key", factories.CHECKOUT_KEY]
