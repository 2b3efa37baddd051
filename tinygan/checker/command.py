"""`tinygan exercise list` and `tinygan exercise check N|all [--dir DIR | --path FILE]`.

check exits with 0 when every check passes, 1 when one fails, and 2 for a usage mistake
(an unknown exercise number, a missing file, Hypothesis not installed)."""

from pathlib import Path

from tinygan.app.errors import UsageError
from tinygan.checker.core import _hypothesis, format_results
from tinygan.checker.registry import EXERCISES, check_file


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


def cmd_list(args):
    folder = Path(args.dir)
    print(f"exercises (files in {folder}/; check one with `tinygan exercise check N`):")
    for e in EXERCISES.values():
        mark = "" if (folder / e.filename).is_file() else "   (file not found)"
        print(f"  {e.number:>2}  {e.filename:<28} {e.title}{mark}")
    return 0


def cmd_check(args):
    numbers = _numbers(args.number)
    if args.path and len(numbers) > 1:
        raise _usage("--path names one file; use --dir to check all exercises in a folder")
    try:
        _hypothesis()
    except RuntimeError as err:
        raise _usage(str(err)) from None
    failed = 0
    for number in numbers:
        e = EXERCISES[number]
        path = Path(args.path) if args.path else Path(args.dir) / e.filename
        if not path.is_file():
            raise _usage(f"no file {path}; run from the folder that holds exercises/, or pass "
                         "--dir DIR or --path FILE")
        print(f"exercise {number}: {e.title}\nfile: {path}\n")
        results = check_file(number, path)
        print(format_results(results) + ("\n" if len(numbers) > 1 else ""))
        failed += not all(r.passed for r in results)
    if len(numbers) > 1:
        print(f"{len(numbers) - failed} of {len(numbers)} exercises pass every check")
    return 1 if failed else 0


def add_subcommand(subparsers):
    """Add `tinygan exercise list` and `tinygan exercise check N` to the tinygan command."""
    parser = subparsers.add_parser("exercise", help="list the exercises, or check your answer to one")
    sub = parser.add_subparsers(dest="exercise_command", parser_class=type(parser))
    lister = sub.add_parser("list", help="the exercises and their files")
    lister.add_argument("--dir", default="exercises", help="the exercise folder (default exercises)")
    lister.set_defaults(func=cmd_list)
    check = sub.add_parser("check", help="check exercise N (or all) and print what passed, with hints")
    check.add_argument("number", help=f"{min(EXERCISES)}-{max(EXERCISES)}, or all")
    where = check.add_mutually_exclusive_group()
    where.add_argument("--dir", default="exercises", help="folder holding the exercise files "
                       "(default exercises)")
    where.add_argument("--path", default=None, help="the file to check, instead of DIR/exNN_*.py")
    check.set_defaults(func=cmd_check)
    parser.set_defaults(func=lambda args: (parser.print_help(), 2)[1])
