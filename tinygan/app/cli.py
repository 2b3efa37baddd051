"""The `tinygan` command (also `python -m tinygan`).

    tinygan train [--data ring] [--loss nonsaturating] [--steps N] [--out runs/ring] ...
    tinygan train --out runs/ring --resume [--steps N]
    tinygan evaluate runs/ring            (the run folder, or its checkpoint.npz)
    tinygan list

Every field of tinygan.Config is a flag of `train` (--g-lr, --batch-size, --d-steps, ...),
its help text the field's metadata; `tinygan train --preset NAME --help` shows that
preset's values as the defaults. `--threads N` sets BLAS's threads (default 1).
A bad argument exits with status 2 and one line saying what is allowed, never a traceback.
"""

import argparse
import contextlib
import dataclasses
import json
import os
import re
import sys
from pathlib import Path


from tinygan import __version__, exercises, questions
from tinygan.checks import UsageError
from tinygan.app.folder import (FRAMES, FolderInUse, RunFolderError, check_folder, claim_folder,
                                run_files)
from tinygan.app.run import SaveError, Terminated, load_frames, missing, run_training
from tinygan.app.memory import check_run_fits, fits_in_memory, memory_needed
from tinygan.app.checkpoint import CheckpointError, load
from tinygan.config import Config, lr_factor, presets
from tinygan.data import DATASETS, get_dataset
from tinygan.gan import DivergenceError
from tinygan.losses import LOSSES
from tinygan.optim import OPTIMIZERS
from tinygan.app.progress import Progress, eval_text

EXIT_USAGE = 2
EXIT_PIPE = 141    # 128 + SIGPIPE: what a Unix tool killed by a closed pipe returns


# What each kind of flag takes, for the messages.
_KINDS = {int: "an integer", float: "a number"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        if message.endswith(("expected one argument", "expected at least one argument")):
            message += " (a value that starts with '-' is read as a flag: write --flag=VALUE)"
        raise UsageError(message)

    def _get_values(self, action, arg_strings):
        """argparse drops a '--' given as a flag's value ('--steps=--') and hands back an
        empty list; say what was given and what the flag takes instead."""
        if action.option_strings and "--" in arg_strings:
            kind = getattr(action.type, "kind", None) or _KINDS.get(action.type, "a value")
            many = " (one or more)" if action.nargs in ("+", "*") else ""
            self.error(f"argument {'/'.join(action.option_strings)}: expected {kind}{many}, got '--'")
        return super()._get_values(action, arg_strings)


def _shown(value):
    return " ".join(map(str, value)) if isinstance(value, tuple) else value


def _config_flags(parser, preset=None):
    """One --flag per Config field, typed by the field's default. With `preset`, the help
    shows that preset's value where it differs from Config's default."""
    base, plain = (presets[preset]() if preset else Config()), Config()
    where = (f"the defaults shown are preset {preset}'s" if preset else
             "the defaults shown are Config's, the 'best' preset; "
             "`tinygan train --preset NAME --help` shows a preset's")
    group = parser.add_argument_group(f"training configuration (tinygan.Config; {where})")
    for field in dataclasses.fields(Config):
        if field.name == "data_options":
            continue
        default = getattr(plain, field.name)
        flag = "--" + field.name.replace("_", "-")
        mine = getattr(base, field.name)
        text = (f"{field.metadata['help']} (default {_shown(default)})" if mine == default else
                f"{field.metadata['help']} (preset {preset}: {_shown(mine)}; "
                f"without a preset {_shown(default)})")
        text = text.replace("%", "%%")   # argparse formats help with %
        if isinstance(default, bool):
            group.add_argument(flag, type=_bool, default=None, metavar="BOOL", help=text)
        elif isinstance(default, tuple):
            kind = type(default[0]) if default else int
            group.add_argument(flag, type=kind, nargs="+", default=None, help=text)
        else:
            group.add_argument(flag, type=type(default), default=None, help=text)
    group.add_argument("--data-option", action="append", default=[], metavar="KEY=VALUE",
                       help="an option of the data set, e.g. --data-option k=8 (repeatable)")


def _bool(text):
    """A flag's true or false."""
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


_bool.kind = "true or false"


def _count(text):
    """A number of samples: an integer >= 1, and not more than the machine could hold at
    16 bytes each (every evaluated sample and its real counterpart as float64 numbers)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}") from None
    if n < 1:
        own = " (leave the flag out for the run's own number)" if n == 0 else ""
        raise argparse.ArgumentTypeError(f"expected an integer >= 1{own}, got {n}")
    try:
        fits_in_memory(f"{n} samples", 16 * n)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return n


_count.kind = "an integer >= 1"


def _folder_path(text):
    """An output folder: any non-empty path (it is created if missing)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"expected a folder path (it is created if missing), got {text!r}")
    return text


_folder_path.kind = "a folder path"


def _parse_value(text):
    """A data option's value: a number or a list of numbers if it reads as one, else text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _config_from_args(args):
    base = presets.get(args.preset, Config)() if args.preset else Config()
    changes = {}
    for field in dataclasses.fields(Config):
        value = getattr(args, field.name, None)
        if value is not None and field.name != "data_options":
            changes[field.name] = tuple(value) if isinstance(value, list) else value
    options = dict(base.data_options)
    for item in args.data_option:
        if "=" not in item:
            raise UsageError(f"--data-option takes KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        options[key] = _parse_value(value)
    changes["data_options"] = options
    config = dataclasses.replace(base, **changes)
    if config.steps < 1:
        raise UsageError(f"--steps must be >= 1 (the run's total number of generator steps), "
                         f"got {config.steps}")
    # an optimizer option given for an optimizer that ignores it is a mistake to point out
    for flag, value, owner in (("--momentum", args.momentum, "sgd"), ("--betas", args.betas, "adam")):
        if value is not None and config.optimizer != owner:
            raise UsageError(f"{flag} applies to --optimizer {owner} only; the optimizer here is "
                             f"{config.optimizer}, which ignores it: drop {flag} or add --optimizer {owner}")
    try:
        check_run_fits(config.validate())
        get_dataset(config.data, **config.data_options)
    except (ValueError, TypeError) as err:
        raise UsageError(_in_flags(str(err))) from None
    except FileNotFoundError as err:
        raise UsageError(_as_flags(str(err))) from None
    return config


_FIELDS = [f.name for f in dataclasses.fields(Config) if f.name != "data_options"]


def _in_flags(message):
    """A Config message in the command line's words: a field that opens the message or is
    followed by its value ("batch_size 256"), and any field with an underscore, becomes its
    flag (--batch-size); "ring option k must be" becomes "--data-option k (data set ring)
    must be"."""
    data_option = re.match(r"(\w+) option (\w+) ", message)
    if data_option:
        name, key = data_option.groups()
        return f"--data-option {key} (data set {name}) " + message[data_option.end():]
    for name in _FIELDS:
        flag = "--" + name.replace("_", "-")
        if re.match(rf"{name}\b", message):
            message = flag + message[len(name):]
        pattern = rf"(?<![-\w]){name}\b" if "_" in name else rf"(?<![-\w]){name}(?= -?\d)"
        message = re.sub(pattern, flag, message)
    return message


def _as_flags(message):
    """A data set's advice in the command line's words: 'pass folder=<...>' becomes
    'give --data-option folder=<...>', 'download=True' becomes '--data-option download=true'."""
    message = re.sub(r"\bpass (\w+)=", r"give --data-option \1=", message)
    return re.sub(r"\b(\w+)=True\b", r"--data-option \1=true", message)


MAX_THREADS = 1024   # more than any machine tinygan runs on has cores


def _threads(args):
    """--threads N as the library takes it: 0 means BLAS's own setting (None)."""
    if not 0 <= args.threads <= MAX_THREADS:
        raise UsageError(f"--threads must be from 1 to {MAX_THREADS}, or 0 for BLAS's own setting; "
                         f"got {args.threads}")
    return args.threads or None


def evaluation_fits(config, dim, n):
    """Refuse (UsageError) an evaluation of n samples that the machine cannot hold: the
    estimate of memory_needed with eval_samples = n. For cmd_evaluate's --samples."""
    total, parts = memory_needed(dataclasses.replace(config, eval_samples=n, steps=0), dim)
    try:
        fits_in_memory(f"evaluating --samples {n}", total)
    except ValueError as err:
        raise UsageError(str(err)) from None


def _free_folder(name):
    """The first of runs/<name>, runs/<name>-2, ... that holds no run and that no other run
    is using, claimed for this process (a Claim; its .out is the folder). Each candidate is
    claimed before it is looked at, so two runs started together never pick the same one."""
    for k in range(1, 10_000):
        out = Path("runs") / (name if k == 1 else f"{name}-{k}")
        if out.exists() and not out.is_dir():
            continue
        try:
            claim = claim_folder(out)
        except FolderInUse:
            continue
        if not run_files(out):
            return claim
        claim.release()
    raise UsageError(f"runs/{name} ... runs/{name}-9999 all hold runs; give --out")


def cmd_train(args):
    # (the parser has refused --resume with --overwrite, and an empty --out)
    if args.out is None and args.resume:
        raise UsageError("--resume needs --out: the folder of the run to continue")
    threads = _threads(args)
    config = None if args.resume else _config_from_args(args)   # flags first: a refusal writes nothing
    try:
        with contextlib.ExitStack() as hold:
            # the folder is claimed before it is looked at: the check that no run holds it and
            # the taking of it are one act (run_training claims it again: claims nest)
            if args.out is None:
                out = hold.enter_context(_free_folder(config.data)).out
            else:
                out = Path(args.out)
                if not args.resume or _is_dir(out):   # no folder to resume: _resume_plan says so
                    hold.enter_context(claim_folder(out, create=not args.resume))
            if args.resume:
                if _is_dir(out):
                    check_folder(out, resume=True)      # its run files are plain files
                start, total = _resume_plan(args, out)
            else:
                check_folder(out, overwrite=args.overwrite)
                start, total = 0, config.steps
            progress = Progress(total, start=start)
            try:
                summary = run_training(config, out, resume=args.resume, steps=total,
                                       progress=progress, threads=threads, status=progress.say,
                                       overwrite=args.overwrite)
            finally:
                progress.close()    # the cursor below the line, whatever happened (Ctrl-C too)
    except RunFolderError as err:
        raise UsageError(str(err)) from None
    except DivergenceError as err:
        kept = getattr(err, "kept", None)
        print(f"tinygan: {err}" + (f" The last good checkpoint is kept: step {kept[1]}, at {kept[0]}."
                                   if kept else " No checkpoint of this run was written."),
              file=sys.stderr)
        return 1
    except SaveError as err:
        print(f"tinygan: {err}", file=sys.stderr)
        return 1
    except Terminated:
        print(f"tinygan: terminated (SIGTERM); every file in {out} is whole", file=sys.stderr)
        return 143    # 128 + SIGTERM, what a process killed by it returns
    final = summary["final"]
    if "finished" in summary:
        print(f"the run was at its last step ({summary['step']}) but lacked "
              f"{', '.join(summary['finished'])}: written from its checkpoint and frames.npz")
    else:
        done, step = summary["steps_this_run"], summary["step"]
        resumed = f" (resumed at step {step - done}, now at {step})" if done != step else ""
        print(f"trained {done} steps in {summary['train_seconds']:.1f} s{resumed}")
    print("final: " + (eval_text(final) or json.dumps(final)))
    for name, path in summary.get("figures", {}).items():
        print(f"  {name:<8} {path}")
    print(f"  {'history':<8} {out / 'history.csv'}\n  {'metrics':<8} {out / 'metrics.json'}"
          f"\n  {'checkpoint':<8} {summary['checkpoint']}")
    return 0


def _resume_plan(args, out):
    """(step the run is at, step it will end at) for `train --resume`, or a UsageError.

    Only --steps (a total) and --threads may be given: the rest is the saved configuration.
    No --steps: the run's own total. A smaller total than the run's is refused, and so is
    one the run has already reached: there would be nothing to do, unless the run lacks files
    a finished run holds (it was stopped while writing them): then (step, step), and
    run_training writes what is missing.
    """
    given = ["--" + f.name.replace("_", "-") for f in dataclasses.fields(Config)
             if f.name not in ("steps", "data_options") and getattr(args, f.name, None) is not None]
    given += ["--data-option"] * bool(args.data_option) + ["--preset"] * bool(args.preset)
    if given:
        raise UsageError("--resume continues the saved configuration; only --steps and --threads "
                         f"may be given with it (got {given[0]})")
    if not (out / "checkpoint.npz").is_file():
        raise UsageError(f"--resume: no checkpoint at {out / 'checkpoint.npz'}; train into {out} first")
    try:   # the whole file, validated as `evaluate` does, before anything is written
        saved = load(out / "checkpoint.npz")
    except CheckpointError as err:
        raise UsageError(str(err)) from None
    step, planned = saved.step, saved.config.steps
    total = planned if args.steps is None else args.steps
    if total <= step and total == planned:
        frames = load_frames(out / FRAMES, upto=step)
        if missing(saved, out, frames):   # stopped while writing its last files: finish it
            return step, step
    if total <= step:
        raise UsageError(f"nothing to do: the run is at step {step} of {planned}; "
                         f"give --steps T > {step} to extend it (--steps is the run's total)")
    if total < planned:
        raise UsageError(f"--steps {total} is below the run's total of {planned}: a resumed run "
                         f"trains to its total (give no --steps) or extends it (--steps T > {planned})")
    if total > planned:
        _say_extension(saved.config, step, total)
    return step, total


def _say_extension(config, step, total):
    """Tell what extending a run does to the schedules that span it (see app/run.py)."""
    spans = []
    if config.lr_schedule != "constant":
        before = lr_factor(config, step)
        after = lr_factor(dataclasses.replace(config, steps=total), step)
        spans.append(f"the {config.lr_schedule} learning-rate decay (at step {step}: "
                     f"{before:.2f} x lr in the {config.steps}-step plan, {after:.2f} x lr from now on)")
    if config.noise and config.noise_schedule != "constant" and not config.noise_anneal_steps:
        spans.append("the instance-noise annealing")
    if spans:
        print(f"extending the run from {config.steps} to {total} steps: "
              f"{' and '.join(spans)} now span{'s' if len(spans) == 1 else ''} {total} steps",
              file=sys.stderr)


def _is_dir(path):
    """Whether path is a folder; a path the system cannot even look up is a UsageError."""
    try:
        return path.is_dir()
    except OSError as err:      # a name too long, no permission on a folder on the way
        raise UsageError(f"cannot look at {path}: {err.strerror or err}") from None


def cmd_evaluate(args):
    if args.samples is not None and args.samples < 1:
        raise UsageError(f"--samples must be >= 1 (generated samples to evaluate; give no "
                         f"--samples for the run's own number), got {args.samples}")
    path = Path(args.checkpoint)
    if _is_dir(path):
        if not (path / "checkpoint.npz").is_file():
            raise UsageError(f"{path} is a folder with no checkpoint.npz in it; give a run folder "
                             f"(tinygan train --out) or a checkpoint file")
        path = path / "checkpoint.npz"
    try:
        trainer = load(path)
    except CheckpointError as err:     # the run's data files gone included: load says where
        raise UsageError(str(err)) from None
    n = args.samples or trainer.config.eval_samples
    evaluation_fits(trainer.config, trainer.data.dim, n)
    trainer.threads = _threads(args)
    try:
        result = trainer.evaluate(n=n, record=False)
    except DivergenceError as err:     # finite weights whose samples overflow
        raise UsageError(f"{path}: its generator's weights are finite but its samples at "
                         f"step {trainer.step} are not ({err.what}): they overflow, so they "
                         f"cannot be evaluated") from None
    c = trainer.config
    print(f"{path}: {c.data}, {c.loss} loss, step {trainer.step}")
    for key, value in result.items():
        if key != "counts":
            print(f"  {key:<14} {value:.4f}" if isinstance(value, float) else f"  {key:<14} {value}")
    return 0


def cmd_list(args):
    print("data sets (--data; options with --data-option KEY=VALUE):")
    for name, text in DATASETS.items():
        print(f"  {name:<16} {text}")
    print("loss families (--loss):")
    for name, cls in LOSSES.items():
        print(f"  {name:<16} {(cls.__doc__ or '').strip().splitlines()[0]}")
    print("optimizers (--optimizer; --g-lr, --d-lr, --betas for adam, --momentum for sgd):")
    for name, cls in OPTIMIZERS.items():
        print(f"  {name:<16} {(cls.__doc__ or '').strip().splitlines()[0]}")
    if presets:
        print("presets (--preset; `tinygan train --preset NAME --help` shows its values):")
        for name, make in presets.items():
            print(f"  {name:<16} {(make.__doc__ or '').strip().splitlines()[0]}")
    return 0


def _threads_flag(parser):
    parser.add_argument("--threads", type=int, default=1, metavar="N",
                        help="BLAS threads while tinygan computes (default 1, the fastest for its "
                             "small matrices; 0: BLAS's own setting, usually one per core)")


def build_parser(preset=None):
    """The argument parser; `preset` only changes the defaults `train --help` shows."""
    parser = _Parser(prog="tinygan", description="A GAN library written from scratch in NumPy.")
    parser.add_argument("--version", action="version", version=f"tinygan {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    train = sub.add_parser("train", help="train a GAN and write its figures, history and checkpoint")
    train.add_argument("--out", default=None, type=_folder_path,
                       help="output folder (default: the first free runs/<data>, runs/<data>-2, ...)")
    fresh_or_not = train.add_mutually_exclusive_group()
    fresh_or_not.add_argument("--resume", action="store_true",
                              help="continue the run in --out, to its total or to a larger --steps")
    fresh_or_not.add_argument("--overwrite", action="store_true",
                              help="start afresh in an --out that already holds a run (its checkpoint is replaced)")
    train.add_argument("--preset", choices=sorted(presets) or None, default=None,
                       help="start from a named configuration (tinygan list shows them)")
    _threads_flag(train)
    _config_flags(train, preset)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="print the metrics of a saved generator")
    evaluate.add_argument("checkpoint", help="a run folder (tinygan train --out) or its checkpoint.npz")
    evaluate.add_argument("--samples", type=_count, default=None, help="samples to draw (default: the run's)")
    _threads_flag(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    lister = sub.add_parser("list", help="data sets, loss families, optimizers and presets")
    lister.set_defaults(func=cmd_list)

    exercises.add_subcommand(sub)
    questions.add_subcommand(sub)
    return parser


def _preset_in(argv):
    """The preset named by --preset NAME (or --preset=NAME) in argv, if it is one."""
    for i, item in enumerate(argv):
        name = (argv[i + 1] if item == "--preset" and i + 1 < len(argv) else
                item.partition("=")[2] if item.startswith("--preset=") else None)
        if name in presets:
            return name
    return None


def _quiet_stdout():
    """Point stdout at the null device: the reader of a pipe (`| head -1`) has gone, and the
    interpreter's last flush at exit must not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_preset_in(argv))
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        code = args.func(args)
        sys.stdout.flush()   # a closed pipe shows up here, not at exit
        return code
    except UsageError as err:
        print(f"tinygan: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_PIPE
    except KeyboardInterrupt:
        print("tinygan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
