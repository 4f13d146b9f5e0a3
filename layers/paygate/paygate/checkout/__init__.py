"""The hosted checkout: the page a merchant sends its customer to, one link per payment.

- `links`: the signed links (the customer's only key to the page).
- `pages` and `style`: the server-rendered HTML of that page; pure.
- `shop`: the merchant the page shows (its profile) and the headers it is served with, which let in exactly
  that merchant's logo and accent; pure.

What the page shows for a payment and what the customer's choice does is a use case: paygate.lifecycle.hosted.
"""
