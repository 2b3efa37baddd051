"""The README stays a front page: short, free of issue numbers, and naming only paths that exist.

    at most 120 lines       the rest belongs in docs/ (a front page that scrolls on is a log)
    no issue numbers        "issue 12", "issues 11 and 12", "#12": a reader has no tracker
    every path it names     tinygan/..., benchmarks/..., docs/..., notebooks/..., tests/...
                            exists in the repository (a glob must match at least one file);
                            so does every path the pages of docs/ name

The checks read the text with plain regular expressions; the tests at the bottom feed them
made-up READMEs, so each check is shown to fail on what it is meant to catch.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_LINES = 120

# "issue 12", "Issue #12", "issues 11 and 12", "(#12)": a number a reader cannot look up.
ISSUE = re.compile(r"\bissues?\s*#?\d+|(?<![\w&])#\d+\b", re.IGNORECASE)
# A path into the repository: one of its top folders, a slash, then path characters. The
# lookbehind keeps "runs/tour/..." and "site-packages/tinygan/..." out; '#' ends a link's path.
PATH = re.compile(r"(?<![\w./-])((?:tinygan|benchmarks|docs|notebooks|tests)/[\w./*-]*)")
# A file named in the map's code block, indented under tinygan/: "  ops.py   what it does".
MAP_ENTRY = re.compile(r"^  ([\w.]+(?:\.py|/))\s")


def _readme_needs_skip():
    if not README.exists():      # an installed package without its clone: nothing to read
        pytest.skip("README.md is not beside the tests (an installed package?)")


def too_long(text, limit=MAX_LINES):
    """The line count if `text` has more than `limit` lines, else None."""
    n = len(text.splitlines())
    return n if n > limit else None


def issue_numbers(text):
    """Every issue-number mention in `text`."""
    return [m.group(0) for m in ISSUE.finditer(text)]


def paths_named(text):
    """Every repository path `text` names, without trailing punctuation, in order, once each."""
    found = []
    for m in PATH.finditer(text):
        path = m.group(1).rstrip(".,:;")
        if path not in found:
            found.append(path)
    return found


def map_entries(text):
    """The paths the map's code block names under tinygan/ (its indented 'name.py' lines)."""
    entries, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if inside and (m := MAP_ENTRY.match(line)):
            entries.append("tinygan/" + m.group(1))
    return entries


def missing(paths, root=ROOT):
    """The paths of `paths` that name nothing under `root` (a glob must match something)."""
    gone = []
    for p in paths:
        exists = any(root.glob(p)) if "*" in p else (root / p).exists()
        if not exists:
            gone.append(p)
    return gone


# ----------------------------------------------------------------------------- the README

def test_the_readme_fits_its_length():
    _readme_needs_skip()
    n = too_long(README.read_text())
    assert n is None, f"README.md has {n} lines, more than {MAX_LINES}: move the detail into docs/"


def test_the_readme_names_no_issue_number():
    _readme_needs_skip()
    assert issue_numbers(README.read_text()) == []


def test_every_path_the_readme_names_exists():
    _readme_needs_skip()
    text = README.read_text()
    named = paths_named(text)
    # not vacuous: the README does point into the repository, and the map is read
    assert "docs/references.md" in named and "tinygan/steps.py" in named, named
    entries = map_entries(text)
    assert "tinygan/gan.py" in entries and "tinygan/app/" in entries, entries
    assert missing(named + entries) == []


# Paths in docs/ that name a file of another repository, not of this one.
ELSEWHERE = {"notebooks/DiracGAN.ipynb"}    # LMescheder/GAN_stability, cited in docs/references.md


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "docs").glob("*.md")) or ["none"])
def test_every_path_a_docs_page_names_exists(page):
    if not (ROOT / "docs" / page).exists():
        pytest.skip("no docs/ beside the tests (an installed package?)")
    named = paths_named((ROOT / "docs" / page).read_text())
    assert missing([p for p in named if p not in ELSEWHERE]) == []


# ----------------------------------------------------------------------------- the checks fail

def test_a_long_readme_is_caught():
    assert too_long("line\n" * MAX_LINES) is None
    assert too_long("line\n" * (MAX_LINES + 1)) == MAX_LINES + 1


@pytest.mark.parametrize("text", ["see issue 12", "Issue #7 says", "issues 11 and 12", "fixed in (#12)"])
def test_an_issue_number_is_caught(text):
    assert issue_numbers(text) != []


@pytest.mark.parametrize("text", ["an issue with 12 seeds", "8 of 8 modes", "`#` comments", "&#12;"])
def test_text_without_an_issue_number_passes(text):
    assert issue_numbers(text) == []


def test_a_missing_path_is_caught(tmp_path):
    (tmp_path / "tinygan").mkdir()
    (tmp_path / "tinygan" / "gan.py").write_text("")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "q1_a.ipynb").write_text("")
    text = ("Read `tinygan/gan.py`, then tinygan/lab/blind.py. Run demos/tour.py and open "
            "runs/tour/report.html; the notebooks are notebooks/q*.ipynb, the docs [here](docs/x.md#top).")
    named = paths_named(text)
    assert named == ["tinygan/gan.py", "tinygan/lab/blind.py", "notebooks/q*.ipynb", "docs/x.md"]
    assert missing(named, tmp_path) == ["tinygan/lab/blind.py", "docs/x.md"]
    assert missing(["notebooks/z*.ipynb"], tmp_path) == ["notebooks/z*.ipynb"]


def test_a_map_entry_that_is_gone_is_caught(tmp_path):
    (tmp_path / "tinygan").mkdir()
    (tmp_path / "tinygan" / "ops.py").write_text("")
    text = "```\ntinygan/\n  ops.py     pairs\n  flat.py    one buffer\n  app/       the command\n```\n"
    entries = map_entries(text)
    assert entries == ["tinygan/ops.py", "tinygan/flat.py", "tinygan/app/"]
    assert missing(entries, tmp_path) == ["tinygan/flat.py", "tinygan/app/"]
