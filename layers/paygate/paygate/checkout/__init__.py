"""The hosted checkout: the page a merchant sends its customer to, one link per payment.

- `pages`: the server-rendered HTML of that page and the headers it is served with; pure.
"""
