"""`make` alone lists every target with what it does, one line each, and does nothing else."""

from __future__ import annotations

import re
import subprocess

from local.template import ROOT

MAKEFILE = (ROOT / "Makefile").read_text()


def make(*args: str) -> str:
    return subprocess.run(["make", "-s", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_every_target_is_phony_and_make_lists_each_with_one_line():
    targets = re.findall(r"^([a-z][\w-]*):(?!=)", MAKEFILE, re.M)
    [phony] = re.findall(r"^\.PHONY:(.*)$", MAKEFILE, re.M)
    assert sorted(targets) == sorted(phony.split())
    listed = dict(re.findall(r"^  make (\S+) +(\S.*)$", make("help"), re.M))
    assert sorted(listed) == sorted(targets)
    assert len(make("help").splitlines()) == len(targets)


def test_make_alone_only_prints_the_list():
    assert make("-n") == make("-n", "help")  # what it would run: the listing, nothing else
    assert make() == make("help")
