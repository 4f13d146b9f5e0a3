"""The repository speaks for itself: every document it refers to is in it, and every provider has its page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from local.template import ROOT
from paygate.providers.catalog import SPECS

# A relative path that climbs: `../something`, which must still be a path of the repository.
CLIMBING_REFERENCE = re.compile(r"(?<![\w./-])((?:\.\./)+[\w.-][\w./-]*)")
# A Markdown file named in text or a link: `docs/design.md`, (providers/payop.md), ../README.md
MARKDOWN_REFERENCE = re.compile(r"(?<![\w./-])((?:\.{1,2}/)?[\w./-]*[\w-]+\.md)\b")


def tracked_text_files() -> list[str]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [name for name in names if name.endswith((".py", ".md", ".yaml", ".toml", ".sh", ".json", "Makefile"))]


def in_repository(path: Path) -> bool:
    """An existing path of this repository (one beside it, on the machine that builds it, does not count)."""
    return path.exists() and path.resolve().is_relative_to(ROOT.resolve())


@pytest.mark.parametrize("name", tracked_text_files())
def test_no_relative_path_leads_out_of_the_repository(name):
    text = (ROOT / name).read_text()
    here = (ROOT / name).parent
    for reference in set(CLIMBING_REFERENCE.findall(text)):
        target = (here / reference).resolve()
        assert target.is_relative_to(ROOT.resolve()), f"{name} refers to {reference}, outside the repository"


@pytest.mark.parametrize("name", tracked_text_files())
def test_every_markdown_file_referred_to_exists(name):
    text = (ROOT / name).read_text()
    here = (ROOT / name).parent
    for reference in set(MARKDOWN_REFERENCE.findall(text)):
        candidates = [here / reference, ROOT / reference, ROOT / "docs" / reference]
        assert any(map(in_repository, candidates)), f"{name} refers to {reference}, which is not in the repository"


@pytest.mark.parametrize("provider", sorted(SPECS))
def test_every_provider_has_its_page(provider):
    page = ROOT / "docs" / "providers" / f"{provider}.md"
    assert page.exists() and page.read_text().strip()
