"""The `tinygan` command (also `python -m tinygan`).

    tinygan train [--data ring] [--loss nonsaturating] [--steps N] [--out runs/ring] ...
    tinygan train --out runs/ring --resume [--steps N]
    tinygan evaluate runs/ring/checkpoint.npz
    tinygan list

Every field of tinygan.Config is a flag of `train` (--g-lr, --batch-size, --d-steps, ...),
its help text the field's metadata.
A bad argument exits with status 2 and one line saying what is allowed, never a traceback.
"""

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

from tinygan import __version__, checker, demos
from tinygan.app.errors import UsageError
from tinygan.app.run import run_training
from tinygan.checkpoint import CheckpointError, load, read_meta
from tinygan.config import Config, presets
from tinygan.data import DATASETS, get_dataset
from tinygan.gan import DivergenceError
from tinygan.losses import LOSSES
from tinygan.optim import OPTIMIZERS

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _config_flags(parser):
    """One --flag per Config field, typed by the field's default."""
    group = parser.add_argument_group("training configuration (tinygan.Config)")
    for field in dataclasses.fields(Config):
        if field.name == "data_options":
            continue
        default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
        flag = "--" + field.name.replace("_", "-")
        shown = " ".join(map(str, default)) if isinstance(default, tuple) else default
        text = f"{field.metadata['help']} (default {shown})"
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
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


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
    try:
        config.validate()
        get_dataset(config.data, **config.data_options)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    return config


class Progress:
    """A one-line progress bar on stderr: step, losses, modes captured, elapsed time."""

    def __init__(self, total, stream=sys.stderr, width=24):
        self.total, self.stream, self.width = max(total, 1), stream, width
        self.start = time.perf_counter()
        self.tty = stream.isatty()
        self.last_eval = ""

    def __call__(self, trainer, row):
        if trainer.evaluations and trainer.evaluations[-1]["step"] == trainer.step:
            self.last_eval = _eval_text(trainer.evaluations[-1])
        step = trainer.step
        every = max(self.total // 20, 1)
        if not self.tty and step % every and step != self.total:
            return
        done = int(self.width * min(step / self.total, 1.0))
        bar = "#" * done + "." * (self.width - done)
        line = (f"step {step:>6}/{self.total} [{bar}] d {row['d_loss']:.3f} g {row['g_loss']:.3f} "
                f"{self.last_eval} {time.perf_counter() - self.start:5.1f}s")
        self.stream.write(("\r" + line) if self.tty else line + "\n")
        self.stream.flush()

    def close(self):
        if self.tty:
            self.stream.write("\n")


def _eval_text(ev):
    parts = []
    if "modes" in ev:
        parts.append(f"modes {ev['modes']}/{ev['n_modes']} hq {100 * ev['high_quality']:.0f}%")
    if "sliced_w" in ev:
        parts.append(f"sw {ev['sliced_w']:.3f}")
    if "w1" in ev:
        parts.append(f"w1 {ev['w1']:.3f}")
    return " ".join(parts)


def _free_folder(name):
    """runs/<name>, or runs/<name>-2, -3, ... : the first that holds no run yet."""
    out, k = Path("runs") / name, 1
    while (out / "checkpoint.npz").exists() or (out.exists() and not out.is_dir()):
        k += 1
        out = Path("runs") / f"{name}-{k}"
    return out


def cmd_train(args):
    if args.out is None:
        if args.resume:
            raise UsageError("--resume needs --out: the folder of the run to continue")
        args.out = str(_free_folder(args.data or Config.data))
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; give a folder path (it is created if missing)")
    if not args.resume and not args.overwrite and (out / "checkpoint.npz").exists():
        raise UsageError(f"{out} already holds a run; --resume continues it, --overwrite replaces it, "
                         f"or choose another --out")
    if args.resume:
        given = [f.name for f in dataclasses.fields(Config)
                 if f.name not in ("steps", "data_options") and getattr(args, f.name, None) is not None]
        if given or args.data_option or args.preset:
            raise UsageError("--resume continues the saved configuration; only --steps may be "
                             f"given with it (got --{(given or ['data-option'])[0].replace('_', '-')})")
        if not (out / "checkpoint.npz").is_file():
            raise UsageError(f"--resume: no checkpoint at {out / 'checkpoint.npz'}; train into {out} first")
        try:
            saved = read_meta(out / "checkpoint.npz")
        except CheckpointError as err:
            raise UsageError(str(err)) from None
        config, total = None, max(args.steps or 0, saved["config"]["steps"])
        if args.steps is not None and args.steps < 1:
            raise UsageError(f"--steps must be >= 1, got {args.steps}")
    else:
        config = _config_from_args(args)
        total = config.steps
    progress = Progress(total)
    try:
        summary = run_training(config, out, resume=args.resume, steps=total, progress=progress)
    except DivergenceError as err:
        progress.close()
        kept = out / "checkpoint.npz"
        print(f"tinygan: {err}" + (f" The last good checkpoint is kept at {kept}." if kept.exists() else ""),
              file=sys.stderr)
        return 1
    progress.close()
    final = summary["final"]
    done, step = summary["steps_this_run"], summary["step"]
    resumed = f" (resumed at step {step - done}, now at {step})" if done != step else ""
    print(f"trained {done} steps in {summary['train_seconds']:.1f} s{resumed}")
    print("final: " + (_eval_text(final) or json.dumps(final)))
    for name, path in summary.get("figures", {}).items():
        print(f"  {name:<8} {path}")
    print(f"  {'history':<8} {out / 'history.csv'}\n  {'metrics':<8} {out / 'metrics.json'}"
          f"\n  {'checkpoint':<8} {summary['checkpoint']}")
    return 0


def cmd_evaluate(args):
    try:
        trainer = load(args.checkpoint)
    except CheckpointError as err:
        raise UsageError(str(err)) from None
    result = trainer.evaluate(n=args.samples, record=False)
    c = trainer.config
    print(f"{args.checkpoint}: {c.data}, {c.loss} loss, step {trainer.step}")
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
        print("presets (--preset):")
        for name, make in presets.items():
            print(f"  {name:<16} {(make.__doc__ or '').strip().splitlines()[0]}")
    return 0


def build_parser():
    parser = _Parser(prog="tinygan", description="A GAN library written from scratch in NumPy.")
    parser.add_argument("--version", action="version", version=f"tinygan {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    train = sub.add_parser("train", help="train a GAN and write its figures, history and checkpoint")
    train.add_argument("--out", default=None,
                       help="output folder (default: the first free runs/<data>, runs/<data>-2, ...)")
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    train.add_argument("--overwrite", action="store_true",
                       help="start afresh in an --out that already holds a run (its checkpoint is replaced)")
    train.add_argument("--preset", choices=sorted(presets) or None, default=None,
                       help="start from a named configuration")
    _config_flags(train)
    train.set_defaults(func=cmd_train)

    evaluate = sub.add_parser("evaluate", help="print the metrics of a saved generator")
    evaluate.add_argument("checkpoint")
    evaluate.add_argument("--samples", type=int, default=None, help="samples to draw (default: the run's)")
    evaluate.set_defaults(func=cmd_evaluate)

    lister = sub.add_parser("list", help="data sets, loss families, optimizers and presets")
    lister.set_defaults(func=cmd_list)

    checker.add_subcommand(sub)
    demos.add_subcommand(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return EXIT_USAGE
        return args.func(args)
    except UsageError as err:
        print(f"tinygan: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("tinygan: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
