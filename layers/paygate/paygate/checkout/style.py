"""The checkout page's style sheet, inline, and its hash: the page's Content-Security-Policy allows
exactly this block and, on a merchant's page with a brand colour, the one block that sets its accent
(paygate.checkout.shop), and nothing else. On a wide screen the order stands beside the payment."""

from __future__ import annotations

import base64
import hashlib
import re

from paygate.accounts.models import BRAND_COLOR_PATTERN

STYLE = """
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:#f3f4f6;color:#1f2328;
font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
body>header,main,body>footer{max-width:30rem;margin:0 auto;padding:0 1rem}
body>header{margin-top:1.5rem}
main{padding-top:1rem}
h1{font-size:1.375rem;line-height:1.3;margin:0 0 1rem}
h2{font-size:1rem;margin:0 0 .75rem;color:#57606a}
p{margin:0 0 1rem}
.order,.pay{background:#fff;border:1px solid #d0d7de;border-radius:.75rem;padding:1.25rem;margin:0 0 1rem}
.summary{margin:0}
.summary dt{color:#57606a;font-size:.875rem}
.summary dd{margin:0 0 .5rem;overflow-wrap:anywhere}
#amount{font-size:1.75rem;font-weight:600;line-height:1.2}
#status{padding:.5rem .75rem;border-radius:.5rem;background:#f6f8fa;border:1px solid #d0d7de}
h1#status{font-size:1.375rem}
#status.ok{background:#dafbe1;border-color:#4ac26b}
#status.bad{background:#ffebe9;border-color:#ff8182}
#error{padding:.75rem;border-radius:.5rem;background:#ffebe9;border:1px solid #ff8182}
.methods{list-style:none;margin:0;padding:0}
.methods li{margin:0 0 .75rem}
form{margin:0 0 1rem}
.methods form{margin:0}
button,.button{display:block;width:100%;min-height:44px;padding:.625rem 1rem;font:inherit;text-align:left;
color:#1f2328;background:#fff;border:1px solid #8c959f;border-radius:.5rem;cursor:pointer;text-decoration:none}
button:hover,.button:hover{background:#f6f8fa;border-color:#57606a}
.button{text-align:center;font-weight:600;color:#fff;background:#0b5cad;border-color:#0b5cad}
.button:hover{background:#094a8c;border-color:#094a8c}
.check button,#stay,.copy{text-align:center}
.method-label{display:block;font-weight:600}
.method-provider{display:block;color:#57606a;font-size:.875rem}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
overflow-wrap:anywhere;word-break:break-all}
#address,.memo-value{display:block;padding:.75rem;border-radius:.5rem;background:#f6f8fa;border:1px solid #d0d7de}
.copies{display:flex;gap:.5rem;margin:0 0 1rem}
.copies .copy{flex:1;font-size:.875rem}
.warning{font-weight:600}
.coin{font-weight:600;font-size:1.125rem}
body>footer a[aria-current]{color:#1f2328;font-weight:700;text-decoration:none}
figure{margin:0 0 1rem;text-align:center}
#qr{display:block;width:100%;max-width:16rem;height:auto;margin:0 auto .5rem}
#qr path{shape-rendering:crispEdges}
figcaption{color:#57606a;font-size:.875rem}
.note{color:#57606a;font-size:.875rem}
a{color:#0b5cad}
:focus-visible{outline:3px solid #0b5cad;outline-offset:2px}
[hidden]{display:none!important}
.shop{display:flex;align-items:center;gap:.75rem;padding:.75rem 1rem;border-radius:.75rem;
border:1px solid #d0d7de;background:var(--accent,#fff);color:var(--on-accent,#1f2328)}
.shop p{margin:0;font-size:1.125rem;overflow-wrap:anywhere}
.logo{display:block;height:2.5rem;width:auto;max-width:8rem;object-fit:contain}
body>footer{padding-bottom:2rem;text-align:center;font-size:.875rem;overflow-wrap:anywhere}
body>footer ul{list-style:none;margin:0 0 .75rem;padding:0}
body>footer li{display:inline-block;margin:0 .5rem .5rem}
body>footer a{display:inline-block;min-height:24px;padding:.25rem 0}
@media (min-width:48rem){
body>header,main,body>footer{max-width:60rem}
.layout{display:grid;grid-template-columns:minmax(0,2fr) minmax(0,3fr);gap:1.5rem;align-items:start}
}
"""


def digest(block: str) -> str:
    """The CSP hash of a style block: its SHA-256, base64."""
    return base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii")


STYLE_HASH = digest(STYLE)


def accent(color: str | None) -> str | None:
    """The style block that sets the merchant's accent and a text colour readable on it, or None for a
    colour that is not `#rrggbb` (checked again here: the colour is written into the page's style)."""
    if not color or not re.fullmatch(BRAND_COLOR_PATTERN, color):
        return None
    return f":root{{--accent:{color.lower()};--on-accent:{on_accent(color)}}}"


def on_accent(color: str) -> str:
    """Black or white, whichever contrasts more with `color` (WCAG 2 contrast): for any colour that is at
    least 4.5:1, so text on the accent stays readable whatever the merchant chose."""
    channels = [int(color[start : start + 2], 16) / 255 for start in (1, 3, 5)]
    red, green, blue = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#fff"
