"""The repository speaks for itself: every document it refers to is in it, and every provider has its page."""

from __future__ import annotations

import re
import subprocess

import pytest

from local.template import ROOT
from paygate.providers import SPECS

# Names of documents that live outside the repository and must never be cited.
OUTSIDE = re.compile(r"(?<![\w/])(PROVIDERS|DESIGN|STYLE)\.md|\.\./shared|(?<![\w-])seeds/")
# A Markdown file named in text or a link: `docs/design.md`, (providers/payop.md), ../README.md
MARKDOWN_REFERENCE = re.compile(r"(?<![\w./-])((?:\.{1,2}/)?[\w./-]*[\w-]+\.md)\b")


def tracked_text_files() -> list[str]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [
        name
        for name in names
        if name.endswith((".py", ".md", ".yaml", ".toml", ".sh", ".json", "Makefile")) and name != THIS_FILE
    ]


THIS_FILE = "tests/unit/test_docs.py"  # it spells out the names it looks for


@pytest.mark.parametrize("name", tracked_text_files())
def test_no_reference_to_a_document_outside_the_repository(name):
    text = (ROOT / name).read_text()
    assert not OUTSIDE.search(text), f"{name} cites {OUTSIDE.search(text).group()}"  # type: ignore[union-attr]


@pytest.mark.parametrize("name", tracked_text_files())
def test_every_markdown_file_referred_to_exists(name):
    text = (ROOT / name).read_text()
    here = (ROOT / name).parent
    for reference in set(MARKDOWN_REFERENCE.findall(text)):
        candidates = [here / reference, ROOT / reference, ROOT / "docs" / reference]
        assert any(path.exists() for path in candidates), f"{name} refers to {reference}, which does not exist"


@pytest.mark.parametrize("provider", sorted(SPECS))
def test_every_provider_has_its_page(provider):
    page = ROOT / "docs" / "providers" / f"{provider}.md"
    assert page.exists() and page.read_text().strip()
