"""The hosted checkout on moto: a payment created with `methods` waits for the customer's choice; the page
lists what fits, a choice binds the payment and sends the customer on, a failing provider leaves the others
on offer; only a valid, unexpired link opens anything. Every page shows the merchant's profile, when there is
one and it can be read, and the 404 page shows nothing of it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import urlsplit

import pytest
import requests

from paygate.accounts.manage import Profiles
from paygate.accounts.models import Merchant, UpdateAccountRequest
from paygate.accounts.store import AccountStore
from paygate.checkout import pages
from paygate.checkout.script import SCRIPT
from paygate.errors import ValidationFailed
from paygate.models import Money, PaymentMethod, Status
from paygate.providers.base import ProviderState
from paygate.providers.nowpayments.adapter import COINS
from paygate.providers.request import CreatePaymentRequest
from tests import factories
from tests.factories import ProviderApis

BASE = "https://gw.example/v1"
SANDBOX_CREATED = (201, {"id": "sbx_1", "status": "pending", "amount": "10.50", "currency": "USD",
                         "checkout_url": "https://sandbox.test/checkout/sbx_1"})  # fmt: skip
NOWPAYMENTS_CREATED = (201, {"payment_id": 5077125051, "payment_status": "waiting", "pay_address": "rAddr1",
                             "pay_amount": 12.5, "pay_currency": "xrp", "payin_extra_id": "77",
                             "price_amount": 10.5, "price_currency": "usd", "order_id": "x"})  # fmt: skip


@pytest.fixture
def apis() -> ProviderApis:
    answers = {"sandbox.test": SANDBOX_CREATED, "api.nowpayments.io": NOWPAYMENTS_CREATED}
    return ProviderApis(lambda host: answers[host])


@pytest.fixture
def lifecycle(dynamodb, clock, apis) -> factories.Lifecycle:
    config = factories.settings(enabled_providers=["sandbox", "paygentic", "nowpayments"])
    lifecycle = factories.lifecycle(dynamodb, clock, session=apis, config=config)
    apis.store = lifecycle.payments
    return lifecycle


def waiting(lifecycle: factories.Lifecycle, **fields):
    request = CreatePaymentRequest(amount="10.50", currency="USD", methods=["test", "crypto"], **fields)
    return lifecycle.create(request, account_id=factories.ACCOUNT, callback_base_url=BASE)


# The sandbox, then one choice per coin of NOWPayments, in the routing order.
ON_OFFER = ["sandbox:test"] + [f"nowpayments:crypto:{coin}" for coin in COINS]


def token(payment) -> str:
    return urlsplit(payment.checkout_url).path.rsplit("/", 1)[1]


def without_script(page: str) -> str:
    """The page less its own script (the one the CSP allows), to see that no other came in."""
    assert page.count(f"<script>{SCRIPT}</script>") == 1
    return page.replace(f"<script>{SCRIPT}</script>", "")


def buttons(page: str) -> list[str]:
    return re.findall(r'name="method" value="([^"]*)"', page)


def test_a_payment_with_methods_calls_no_provider_and_waits_with_no_provider(lifecycle, apis):
    payment = waiting(lifecycle, reference="order-7")
    assert apis.called == []
    assert (payment.status, payment.provider, payment.attempts, payment.methods) == (
        Status.PENDING, None, [], ["test", "crypto"],
    )  # fmt: skip
    assert payment.checkout_url.startswith(f"{BASE}/checkout/{payment.id}.")
    assert payment.due_at == payment.expires_at == payment.created_at + timedelta(hours=1)
    assert payment.public().provider is None


def test_methods_and_a_provider_together_are_refused():
    with pytest.raises(ValueError, match="give a provider or methods, not both"):
        CreatePaymentRequest(amount="10.50", currency="USD", provider="sandbox", methods=["test"])
    with pytest.raises(ValueError, match="each kind at most once"):
        CreatePaymentRequest(amount="10.50", currency="USD", methods=["test", "test"])


def test_the_page_lists_the_methods_of_the_payments_kinds_that_take_it(lifecycle):
    payment = waiting(lifecycle)
    answer = lifecycle.checkout.show(token(payment))
    assert answer.status == 200
    # test (the sandbox) and crypto (NOWPayments: one choice per coin); no card, though Paygentic takes USD
    assert buttons(answer.html) == ON_OFFER
    assert 'Bitcoin (BTC)</span> <span class="method-provider">processed by NOWPayments' in answer.html


def test_choosing_binds_the_payment_and_sends_the_customer_to_the_providers_page(lifecycle, apis):
    payment = waiting(lifecycle, success_url="https://shop.example/ok")
    answer = lifecycle.checkout.choose(token(payment), {"method": "sandbox:test"}, base_url=BASE)
    assert (answer.status, answer.location) == (303, "https://sandbox.test/checkout/sbx_1")
    bound = lifecycle.payments.get(payment.id)
    assert (bound.provider, bound.provider_payment_id, bound.request) == ("sandbox", "sbx_1", None)
    assert [(a.provider, a.outcome) for a in bound.attempts] == [("sandbox", "succeeded")]
    # The sandbox sends the customer back to this page, which then sends them on to the shop
    [(_, sent)] = apis.sent
    assert sent["json"]["return_url"] == f"{payment.checkout_url}?returned=1"
    assert lifecycle.checkout.show(token(payment)).location == "https://sandbox.test/checkout/sbx_1"
    back = lifecycle.checkout.show(token(payment), returned=True)
    assert back.status == 200 and 'id="status"' in back.html and 'id="check-status"' in back.html
    assert "http-equiv" not in back.html
    # A second choice (another tab) changes nothing: it is shown where the payment is
    assert lifecycle.checkout.choose(token(payment), {"method": "nowpayments:crypto:btc"}, base_url=BASE).status == 303
    assert apis.called == ["sandbox.test"]


def test_a_crypto_choice_shows_the_address_amount_memo_and_qr_code_here(lifecycle, apis):
    payment = waiting(lifecycle)
    answer = lifecycle.checkout.choose(token(payment), {"method": "nowpayments:crypto:xrp"}, base_url=BASE, lang="fr")
    assert (answer.status, answer.location) == (303, f"{payment.checkout_url}?lang=fr")
    [(_, sent)] = apis.sent
    assert b'"pay_currency":"xrp"' in sent["data"]
    page = lifecycle.checkout.show(token(payment)).html
    for text in ('id="address"', "rAddr1", 'id="pay-amount"', "12.5", 'id="memo"', "77", 'id="qr"'):
        assert text in page


def test_a_provider_failing_on_choice_leaves_the_payment_waiting_and_the_others_on_offer(lifecycle, apis):
    apis.answer = lambda host: requests.Timeout("no answer") if host == "sandbox.test" else NOWPAYMENTS_CREATED
    payment = waiting(lifecycle)
    answer = lifecycle.checkout.choose(token(payment), {"method": "sandbox:test"}, base_url=BASE)
    assert answer.status == 200
    assert "Sandbox could not take the payment. Choose another way to pay." in unescape(answer.html)
    assert buttons(answer.html) == ON_OFFER[1:]
    after = lifecycle.payments.get(payment.id)
    assert (after.status, after.provider, after.request is not None) == (Status.PENDING, None, True)
    assert [(a.provider, a.outcome, a.error_code) for a in after.attempts] == [
        ("sandbox", "failed", "provider_timeout")
    ]


@pytest.mark.parametrize(
    "form", [{}, {"method": "paygentic:card"}, {"method": "stripe:card"}, {"method": "nowpayments:crypto"},
             {"method": "nowpayments:crypto", "pay_currency": "btc"}, {"method": "nowpayments:crypto:nope"}],
)  # fmt: skip
def test_a_choice_that_is_not_on_offer_is_refused_and_changes_nothing(lifecycle, apis, form):
    payment = waiting(lifecycle)
    answer = lifecycle.checkout.choose(token(payment), form, base_url=BASE)
    assert answer.status == 400 and 'id="error"' in answer.html
    assert apis.called == [] and lifecycle.payments.get(payment.id) == payment


def test_only_a_valid_unexpired_link_opens_the_page(lifecycle, clock):
    payment = waiting(lifecycle, reference="order-9")
    good = token(payment)
    payment_id, valid_until, signature = good.split(".")
    other = waiting(lifecycle)
    forged = [
        "",
        "nonsense",
        f"{payment_id}.{valid_until}.{signature[:-2]}xx",  # altered signature
        f"{payment_id}.{int(valid_until) + 86400}.{signature}",  # extended validity
        f"{other.id}.{valid_until}.{signature}",  # another payment, this signature
        f"{payment_id}.{valid_until}",
        f"{payment_id}.٣٣.{signature}",
        # The same link spelled otherwise: one spelling opens it.
        f"{payment_id}.0{valid_until}.{signature}",
        f"{payment_id}.+{valid_until}.{signature}",
        f"{payment_id}.{valid_until} .{signature}",
        f"{payment_id}.{valid_until}.{signature}=",
        f"{payment_id}.{valid_until}.{signature}.",
    ]
    for bad in forged:
        answer = lifecycle.checkout.show(bad)
        assert answer.status == 404 and "order-9" not in answer.html and "10.50" not in answer.html, bad
        assert lifecycle.checkout.choose(bad, {"method": "sandbox:test"}, base_url=BASE).status == 404
    assert lifecycle.checkout.show(good).status == 200
    # A day after the payment's expiry, the link opens nothing
    clock.advance(hours=1, days=1, seconds=1)
    assert lifecycle.checkout.show(good).status == 404


def test_merchant_text_is_shown_as_text(lifecycle):
    payment = waiting(lifecycle, reference="<script>alert(1)</script>", description='"><img src=x onerror=alert(2)>')
    page = without_script(lifecycle.checkout.show(token(payment)).html)
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def paid_in_full(record) -> Money:
    return Money(Decimal(record.amount), record.currency)


def test_the_final_page_sends_the_customer_on_to_the_merchants_url(lifecycle):
    payment = waiting(lifecycle, success_url="https://shop.example/ok?order=7", failure_url="https://shop.example/ko")
    lifecycle.checkout.choose(token(payment), {"method": "sandbox:test"}, base_url=BASE)
    gateway = lifecycle
    record = gateway.payments.get(payment.id)
    gateway.reports.apply(
        record, ProviderState(Status.SUCCEEDED, "succeeded", paid=paid_in_full(record)), source="callback"
    )
    page = lifecycle.checkout.show(token(payment)).html
    assert 'data-status="succeeded"' in page and "Payment complete" in page
    assert '<a id="continue" class="button" href="https://shop.example/ok?order=7">' in page
    assert 'data-seconds="10"' in page and "http-equiv" not in page  # the script's countdown, never a refresh


def test_a_waiting_payment_expires_on_time_and_a_choice_cut_short_waits_again(lifecycle, clock):
    sweeper = lifecycle.checker()
    untouched = waiting(lifecycle)
    # A choice whose function died between its write-ahead and the provider's answer
    cut_short = waiting(lifecycle)
    provider = lifecycle.providers.get("sandbox")
    lifecycle.attempts._begin(lifecycle.payments.get(cut_short.id), provider, cut_short_request(), None, stored=True)
    clock.advance(minutes=2)
    sweeper.sweep(time_left=lambda: 60.0)
    again = lifecycle.payments.get(cut_short.id)
    assert (again.status, again.provider) == (Status.PENDING, None)
    assert [(a.provider, a.outcome, a.error_code) for a in again.attempts] == [("sandbox", "failed", "unfinished")]
    assert lifecycle.payments.get(untouched.id).status is Status.PENDING
    clock.advance(hours=1)
    sweeper.sweep(time_left=lambda: 60.0)
    assert {lifecycle.payments.get(p.id).status for p in (untouched, cut_short)} == {Status.EXPIRED}


def cut_short_request() -> CreatePaymentRequest:
    return CreatePaymentRequest(amount="10.50", currency="USD", methods=["test"])


def test_a_waiting_payments_lifetime_is_bounded(lifecycle):
    with pytest.raises(ValidationFailed):
        waiting(lifecycle, expires_in="PT30S")
    with pytest.raises(ValidationFailed, match=r"at most P1D"):
        waiting(lifecycle, expires_in="P3D")
    longest = waiting(lifecycle, expires_in="P1D")
    assert longest.expires_at - longest.created_at == timedelta(hours=24)


def test_a_cancelled_waiting_payment_is_not_watched_and_cannot_be_chosen(lifecycle, clock, apis):
    payment = waiting(lifecycle)
    cancelled = lifecycle.cancel(payment.id, account_id=factories.ACCOUNT)
    assert cancelled.status is Status.CANCELLED
    clock.advance(minutes=10)
    lifecycle.checker().sweep(time_left=lambda: 60.0)
    assert lifecycle.payments.get(payment.id).due_at is None  # no provider was ever asked: nothing to watch
    assert (
        lifecycle.checkout.choose(token(payment), {"method": "sandbox:test"}, base_url=BASE).location
        == f"{payment.checkout_url}?lang=en"
    )
    assert "The payment was cancelled" in lifecycle.checkout.show(token(payment)).html and apis.called == []


# --- the merchant's profile on the page ----------------------------------------------------------


def profile(lifecycle: factories.Lifecycle, clock, **fields) -> None:
    """The tests' account, opened with the profile `fields`."""
    profiles = Profiles(lifecycle.accounts, clock)
    merchant = Merchant.of_scope(factories.ACCOUNT)
    profiles.open(account_id=merchant.account_id)
    profiles.update(merchant, UpdateAccountRequest(**fields))


SHOP = {
    "display_name": "Mugs & Co",
    "logo_url": "https://cdn.mugs.example/logo.png",
    "support_url": "https://mugs.example/help",
    "website_url": "https://mugs.example/",
    "brand_color": "#7A2E8C",
}


def shown(page: str) -> dict[str, str | None]:
    """What the page shows of the merchant: whom it pays, the logo, the support and back links."""
    payee = re.search(r'<p id="payee">(.*?)</p>', page)
    logo = re.search(r'<img class="logo" src="([^"]*)" alt="([^"]*)">', page)
    support = re.search(r'<a id="support" href="([^"]*)">', page)
    back = re.search(r'<a id="back-to-shop" href="([^"]*)">(.*?)</a>', page)
    return {
        "payee": payee and unescape(re.sub(r"<[^>]+>", "", payee[1])),
        "logo": logo and f"{unescape(logo[1])} alt={unescape(logo[2])}",
        "support": support and unescape(support[1]),
        "back": back and f"{unescape(back[1])} {unescape(back[2])}",
    }


def test_the_page_shows_the_merchants_name_logo_support_and_way_back(lifecycle, clock):
    profile(lifecycle, clock, **SHOP)
    answer = lifecycle.checkout.show(token(waiting(lifecycle)))
    assert answer.status == 200
    assert shown(answer.html) == {
        "payee": "Pay Mugs & Co",
        "logo": "https://cdn.mugs.example/logo.png alt=Mugs & Co",
        "support": "https://mugs.example/help",
        "back": "https://mugs.example/ Back to Mugs & Co",
    }
    assert "--accent:#7a2e8c;--on-accent:#fff" in answer.html
    # The page's headers let in that logo's origin, and nothing else from anywhere
    policy = answer.headers["Content-Security-Policy"]
    assert "img-src https://cdn.mugs.example;" in policy and policy.count("https:") == 1


def test_every_page_of_the_payment_shows_the_merchant_the_final_one_too(lifecycle, clock, apis):
    profile(lifecycle, clock, display_name="Mugs & Co", support_email="help@mugs.example")
    payment = waiting(lifecycle, success_url="https://mugs.example/thanks")
    refused = lifecycle.checkout.choose(token(payment), {}, base_url=BASE)
    assert refused.status == 400 and shown(refused.html)["payee"] == "Pay Mugs & Co"
    lifecycle.checkout.choose(token(payment), {"method": "sandbox:test"}, base_url=BASE)
    record = lifecycle.payments.get(payment.id)
    lifecycle.reports.apply(record, ProviderState(Status.SUCCEEDED, "ok", paid=paid_in_full(record)), source="callback")
    final = lifecycle.checkout.show(token(payment))
    assert 'id="continue"' in final.html
    assert shown(final.html) == {"payee": "Pay Mugs & Co", "logo": None, "support": "mailto:help@mugs.example",
                                 "back": None}  # fmt: skip


def test_a_display_name_with_markup_in_it_is_text(lifecycle, clock):
    profile(lifecycle, clock, **{**SHOP, "display_name": "<script>alert(1)</script>"})
    page = without_script(lifecycle.checkout.show(token(waiting(lifecycle))).html)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert shown(page)["payee"] == "Pay <script>alert(1)</script>"
    assert shown(page)["logo"] == "https://cdn.mugs.example/logo.png alt=<script>alert(1)</script>"


@pytest.mark.parametrize("account", ["missing", "without a profile"])
def test_a_payment_whose_account_shows_nothing_renders_as_before(lifecycle, clock, account):
    if account == "without a profile":
        profile(lifecycle, clock)
    answer = lifecycle.checkout.show(token(waiting(lifecycle)))
    assert answer.status == 200 and buttons(answer.html) == ON_OFFER
    assert shown(answer.html) == dict.fromkeys(("payee", "logo", "support", "back"))
    assert "<header" not in answer.html and "shop-links" not in answer.html
    assert answer.headers == pages.HEADERS


def test_a_profile_that_cannot_be_read_leaves_it_out_never_the_page(lifecycle, clock, dynamodb, caplog):
    profile(lifecycle, clock, **SHOP)
    payment = waiting(lifecycle)
    # The accounts table cannot be read (gone, throttled, no permission: the same to the page)
    lifecycle.checkout.accounts = AccountStore("no-such-table", "no-such-keys-table", dynamodb)
    answer = lifecycle.checkout.show(token(payment))
    assert answer.status == 200 and buttons(answer.html) == ON_OFFER
    assert shown(answer.html)["payee"] is None and answer.headers == pages.HEADERS
    assert "the merchant's profile could not be read" in caplog.text


def test_the_404_page_tells_nothing_about_the_merchant(lifecycle, clock):
    profile(lifecycle, clock, **SHOP)
    payment_id, valid_until, signature = token(waiting(lifecycle)).split(".")
    for bad in (f"{payment_id}.{valid_until}.{signature[::-1]}", payment_id, "nonsense"):
        for answer in (lifecycle.checkout.show(bad), lifecycle.checkout.choose(bad, {}, base_url=BASE)):
            assert answer.status == 404 and answer.headers == pages.HEADERS
            for text in ("Mugs", "mugs.example", "<img", "<header", "<footer", "7a2e8c"):
                assert text not in answer.html, (bad, text)


def test_a_way_to_pay_offered_twice_is_one_choice_at_the_first_that_offers_it(lifecycle):
    coins = {"provider": "nowpayments", "method": "crypto", "kind": "crypto", "name": "Crypto"}
    listed = [
        PaymentMethod(**coins, pay_currencies=["btc", "eth"]),
        PaymentMethod(provider="sandbox", method="test", kind="test", name="Sandbox test payment"),
        PaymentMethod(**coins, pay_currencies=["eth", "ltc"]),
        PaymentMethod(provider="sandbox", method="test", kind="test", name="Another test"),
    ]
    lifecycle.checkout.methods = lambda currency, amount, livemode: listed
    page = lifecycle.checkout.show(token(waiting(lifecycle)), lang="es").html
    assert buttons(page) == [
        "nowpayments:crypto:btc", "nowpayments:crypto:eth", "sandbox:test", "nowpayments:crypto:ltc",
    ]  # fmt: skip
    assert page.count("Pago de prueba (sandbox)") == 1 and "Litecoin (LTC)" in page


def test_the_status_endpoint_answers_the_status_and_whether_it_is_the_last(lifecycle):
    payment = waiting(lifecycle)
    answer = lifecycle.checkout.status(token(payment))
    assert (answer.status, json.loads(answer.html)) == (200, {"status": "pending", "final": False})
    lifecycle.cancel(payment.id, account_id=factories.ACCOUNT)
    assert json.loads(lifecycle.checkout.status(token(payment)).html) == {"status": "cancelled", "final": True}
    assert lifecycle.checkout.status("nonsense").status == 404
