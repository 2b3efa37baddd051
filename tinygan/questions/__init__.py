"""The demos: six questions about GAN training, each answered by an experiment, and the tour.

    tinygan tour [--quick] [--out DIR] [--jobs N]   every demo, then one HTML report (DIR/report.html)
    tinygan demo NAME [--quick] [--out DIR]   one demo, its answer and table printed

    Q1 perfect_discriminator   why a perfect D leaves G no gradient
    Q2 js_vs_wasserstein       why JS saturates; what noise and Wasserstein do about it
    Q3 mode_collapse           mode collapse on the ring and the grid, like with like
    Q4 nash_equilibrium        why simultaneous gradient descent circles the equilibrium
    Q5 loss_curves             how to read D and G loss curves
    Q6 why_d_sees_g            why D must be trained on G's samples

Each demo module has run(quick, out) -> a result dict (tinygan.questions.common) and
main(argv), so `python -m tinygan.questions.NAME` runs it as `tinygan demo NAME` does. They
live in the package so that `pip install` alone is enough to run them. The sources of every
paper's number: docs/references.md in a clone.

The experiments behind the demos, and what they share:

    saturation       Q1: Goodfellow's generator costs; a frozen G against a fresh D
    parallel_lines   Q2: JS and W1 on WGAN's parallel lines, and generators started far away
    games            Q4: the bilinear game x*y and the Dirac-GAN
    blind            Q6: a Trainer whose D never sees G's samples
    landscape        D on a lattice over the data: snapshots, D's peak, Q6's maps
    sweep, store     seeded runs on local processes or a Dask cluster, each kept once on disk
    common           checks and claims, numbers over seeds, limit_threads, the process pool
    report, tour     the tour and its one-page HTML report
    registry         the demos' names, in the questions' order
"""

from tinygan.questions.registry import NAMES, TOUR, load

__all__ = ["TOUR", "NAMES", "load", "add_subcommand"]


def _cmd_tour(args):
    from tinygan.questions.tour import main
    return main(["--out", args.out] + (["--quick"] if args.quick else [])
                + ([] if args.jobs is None else ["--jobs", str(args.jobs)]))


def _cmd_demo(args):
    from tinygan.questions.common import limit_threads, print_result
    module = load(args.name)
    with limit_threads(1):
        res = module.run(quick=args.quick, out=args.out or module.OUT)
    print_result(res)
    return 0


def add_subcommand(sub):
    """Add `tinygan tour` and `tinygan demo NAME` to the command line's subparsers `sub`."""
    from tinygan.questions.tour import OUT
    tour = sub.add_parser("tour", help="run the six demos and write one HTML report (a few minutes)")
    tour.add_argument("--quick", action="store_true", help="small versions of every demo (seconds, for tests)")
    tour.add_argument("--out", default=OUT, help=f"folder for the report and figures (default {OUT})")
    tour.add_argument("--jobs", type=int, default=None,
                      help="demos run at once, one process each (default: one per core; 1 with --quick)")
    tour.set_defaults(func=_cmd_tour)
    demo = sub.add_parser("demo", help="run one demo and print its answer, checks and table")
    demo.add_argument("name", choices=NAMES, help="which demo")
    demo.add_argument("--quick", action="store_true", help="a small version, for a quick look")
    demo.add_argument("--out", default=None, help="folder for the figures (default runs/demos/NAME)")
    demo.set_defaults(func=_cmd_demo)
