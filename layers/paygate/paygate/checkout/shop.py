"""Who the customer pays, as the checkout page shows it: the merchant's profile (paygate.accounts), and
the page's headers, whose Content-Security-Policy lets in exactly what that profile adds: the block of
its brand colour (by its hash) and its logo (from the logo's origin alone). A page with no profile has
the strict headers of every other page: nothing but the one style block and the one script (each by its
hash), and requests to its own origin (the script asks the link's status there)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from paygate.accounts.models import Profile
from paygate.checkout import style
from paygate.checkout.script import SCRIPT_HASH

# An origin a CSP source can name as it is: https, a plain host name or address, maybe a port (no user
# info, no quote or semicolon that would end the source or the directive).
_ORIGIN = re.compile(r"https://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


@dataclass(frozen=True)
class Shop:
    """The merchant's profile, each part optional: a part not given is not shown."""

    name: str | None = None  # "Pay <name>", the logo's alt text, "Back to <name>"
    logo_url: str | None = None  # https only: shown with a name, from an origin `logo_origin` accepts
    support_url: str | None = None  # a web page, or a `mailto:` link
    website_url: str | None = None  # where "Back to <name>" goes
    brand_color: str | None = None  # "#rrggbb": the accent

    @classmethod
    def of(cls, profile: Profile) -> Shop:
        """From a profile: support is its page, else a mail to its address."""
        email = profile.support_email
        support = profile.support_url or (f"mailto:{quote(email, safe='@')}" if email else None)
        return cls(profile.display_name, profile.logo_url, support, profile.website_url, profile.brand_color)

    @property
    def logo_origin(self) -> str | None:
        """Where the logo comes from, when one is shown (with a name, as its alt text) and the CSP can name it."""
        if not self.name or not self.logo_url:
            return None
        try:
            parts = urlsplit(self.logo_url)
        except ValueError:  # a malformed address (an unclosed IPv6 bracket, say)
            return None
        origin = f"{parts.scheme}://{parts.netloc}"
        return origin if _ORIGIN.fullmatch(origin) else None

    @property
    def accent(self) -> str | None:
        """The style block of its brand colour, or None."""
        return style.accent(self.brand_color)


def headers(shop: Shop | None = None) -> dict[str, str]:
    """The headers of a checkout page showing `shop` (or no merchant at all)."""
    styles = " ".join(f"'sha256-{value}'" for value in _style_hashes(shop))
    images = f"img-src {shop.logo_origin}; " if shop and shop.logo_origin else ""
    return {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": (
            f"default-src 'none'; style-src {styles}; script-src 'sha256-{SCRIPT_HASH}'; connect-src 'self'; "
            f"{images}base-uri 'none'; frame-ancestors 'none'"
        ),
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
    }


def _style_hashes(shop: Shop | None) -> list[str]:
    block = shop.accent if shop else None
    return [style.STYLE_HASH] if block is None else [style.STYLE_HASH, style.digest(block)]
