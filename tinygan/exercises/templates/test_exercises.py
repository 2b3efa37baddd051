"""`pytest exercises/` runs the checker on every exercise file in this folder.

Each test fails until its exercise is solved, and its failure message is the checker's
report: one line per check, with hints. `tinygan exercise check N` prints the same report.
Like that command, check_file runs each exercise file in a process of its own: pytest's
process never imports it, so an exercise file cannot end the run early or change its result.
"""

from pathlib import Path

import pytest

from tinygan.exercises import EXERCISES, check_file, format_results

HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("number", sorted(EXERCISES), ids=[e.filename[:-3] for e in EXERCISES.values()])
def test_exercise(number):
    results = check_file(number, HERE / EXERCISES[number].filename)
    if not all(r.passed for r in results):
        pytest.fail("\n" + format_results(results), pytrace=False)
