"""The sandbox: the development provider, on Paygate's own test-mode API."""
