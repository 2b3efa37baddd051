"""`tinygan exercise init DIR`, `tinygan exercise list` and `tinygan exercise check N|all`.

init writes the eleven exercise files, the teacher's page (README.md) and test_exercises.py,
which ship inside the package (templates/), into DIR. check and list look in --dir DIR, else
in ./exercises, else in the current folder (whichever holds exercise files).

check exits with 0 when every check passes, 1 when one fails, and 2 for a usage mistake
(an unknown exercise number, a missing file, Hypothesis not installed) or when it refuses to
grade (an installed file of numpy, Hypothesis or tinygan was changed: guard.py)."""

import argparse
from pathlib import Path

from tinygan.checks import UsageError
from tinygan.exercises.core import _hypothesis, format_results
from tinygan.exercises.registry import EXERCISES, TEMPLATE_FILES, check_file, template
from tinygan.exercises import guard
from tinygan.exercises.sandbox import MEMORY, TIMEOUT

INIT = "tinygan exercise init exercises"


def _usage(message):
    return UsageError(message)


def _numbers(text):
    valid = f"choose one of {min(EXERCISES)}-{max(EXERCISES)} or all"
    if text == "all":
        return sorted(EXERCISES)
    try:
        number = int(text)
    except ValueError:
        raise _usage(f"unknown exercise {text!r}; {valid}") from None
    if number not in EXERCISES:
        raise _usage(f"unknown exercise {number}; {valid}")
    return [number]


def _seconds(text):
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds < float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return seconds


def _mebibytes(text):
    try:
        mib = float(text)
    except ValueError:
        mib = float("nan")
    if not 64 <= mib < 2**40:
        raise argparse.ArgumentTypeError(f"expected the MiB of memory your code may use, at least "
                                         f"64 (default {MEMORY}), got {text!r}")
    return mib


def _holds_exercises(folder):
    return folder.is_dir() and any((folder / e.filename).is_file() for e in EXERCISES.values())


def _folder(args, required=True):
    """--dir if given; else ./exercises or the current folder, whichever holds exercise files."""
    if args.dir is not None:
        folder = Path(args.dir)
        if required and not folder.is_dir():
            raise _usage(f"no folder {folder}; `tinygan exercise init {folder}` writes the "
                         "exercises there")
        return folder
    for folder in (Path("exercises"), Path(".")):
        if _holds_exercises(folder):
            return folder
    if required:
        raise _usage(f"no exercise files in ./exercises or in the current folder; run `{INIT}` "
                     "to write them, or pass --dir DIR or --path FILE")
    return Path("exercises")


def cmd_init(args):
    folder = Path(args.dir)
    if folder.exists() and not folder.is_dir():
        raise _usage(f"{folder} is a file; give a folder for the exercises (it is created if missing)")
    there = [name for name in TEMPLATE_FILES if (folder / name).exists()]
    if there and not args.force:
        more = f" (and {len(there) - 1} more)" if len(there) > 1 else ""
        raise _usage(f"{folder / there[0]} already exists{more}; not overwriting your work "
                     "(--force replaces them with fresh templates)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name in TEMPLATE_FILES:
            (folder / name).write_bytes(template(name))
    except OSError as err:
        raise _usage(f"cannot write the exercises to {folder}: {err.strerror or err}") from None
    print(f"wrote {len(TEMPLATE_FILES)} files to {folder}/: the eleven exercises, README.md (the "
          "teacher's page) and test_exercises.py (for pytest)")
    print(f"next: open {folder / EXERCISES[1].filename}, then `tinygan exercise check 1"
          f"{'' if folder.resolve() == Path('exercises').resolve() else f' --dir {folder}'}`")
    return 0


def cmd_list(args):
    folder = _folder(args, required=False)
    print(f"exercises (files in {folder}/; check one with `tinygan exercise check N`):")
    for e in EXERCISES.values():
        mark = "" if (folder / e.filename).is_file() else "   (file not found)"
        print(f"  {e.number:>2}  {e.filename:<28} {e.title}{mark}")
    if not _holds_exercises(folder):
        print(f"no exercise files yet: `{INIT}` writes them")
    return 0


def _student_file(path, exercise):
    """--path as given: a Python file (the checker imports it), or a usage error saying so."""
    example = f"e.g. --path exercises/{exercise.filename}"
    if not path.strip():
        raise _usage(f"--path is empty; give the Python file with your answer to exercise "
                     f"{exercise.number} ({example})")
    if Path(path).suffix != ".py":
        raise _usage(f"--path {path} is not a Python file; give the .py file with your answer to "
                     f"exercise {exercise.number} ({example})")
    return Path(path)


def cmd_check(args):
    numbers = _numbers(args.number)
    if args.path is not None and len(numbers) > 1:
        raise _usage("--path names one file; use --dir to check all exercises in a folder")
    if args.path is not None:
        _student_file(args.path, EXERCISES[numbers[0]])
    try:
        guard.prepare()     # first: the installed files verified, then all the checks import
        _hypothesis()
    except (guard.InstallChanged, RuntimeError) as err:     # RuntimeError: no Hypothesis
        raise _usage(str(err)) from None
    folder = None if args.path is not None else _folder(args)
    failed = 0
    for number in numbers:
        e = EXERCISES[number]
        path = Path(args.path) if args.path is not None else folder / e.filename
        if not path.is_file():
            where = "" if args.path is not None else f"; `tinygan exercise init {folder}` writes the missing ones"
            raise _usage(f"no file {path}{where}")
        print(f"exercise {number}: {e.title}\nfile: {path}\n")
        results = check_file(number, path, timeout=args.timeout, memory=args.memory)
        print(format_results(results) + ("\n" if len(numbers) > 1 else ""))
        failed += not all(r.passed for r in results)
    if len(numbers) > 1:
        print(f"{len(numbers) - failed} of {len(numbers)} exercises pass every check")
    return 1 if failed else 0


def add_subcommand(subparsers):
    """Add `tinygan exercise init|list|check` to the tinygan command."""
    parser = subparsers.add_parser("exercise", help="get the exercises, list them, or check your "
                                   "answer to one")
    sub = parser.add_subparsers(dest="exercise_command", parser_class=type(parser))
    where = "(default: ./exercises, else the current folder)"

    init = sub.add_parser("init", help="write the eleven exercises and the teacher's page into DIR")
    init.add_argument("dir", metavar="DIR", help="the folder to write them to, e.g. exercises")
    init.add_argument("--force", action="store_true", help="replace files that already exist")
    init.set_defaults(func=cmd_init)

    lister = sub.add_parser("list", help="the exercises and their files")
    lister.add_argument("--dir", default=None, help=f"the exercise folder {where}")
    lister.set_defaults(func=cmd_list)

    check = sub.add_parser("check", help="check exercise N (or all) and print what passed, with hints")
    check.add_argument("number", help=f"{min(EXERCISES)}-{max(EXERCISES)}, or all")
    source = check.add_mutually_exclusive_group()
    source.add_argument("--dir", default=None, help=f"folder holding the exercise files {where}")
    source.add_argument("--path", default=None, help="the file to check, instead of DIR/exNN_*.py")
    check.add_argument("--timeout", type=_seconds, default=TIMEOUT, metavar="SECONDS",
                       help=f"time your code may run per exercise, in all (default {TIMEOUT:g})")
    check.add_argument("--memory", type=_mebibytes, default=MEMORY, metavar="MIB",
                       help=f"memory your code may use, in MiB (default {MEMORY})")
    check.set_defaults(func=cmd_check)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
