"""The providers: the catalog (`catalog.py`), the one interface every adapter implements (`base.py`), one
folder per provider, and what chooses and guards them (registry, routing, circuits, rate limits)."""
