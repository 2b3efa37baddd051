"""A progress line for training: in a terminal, in a Jupyter notebook, or in a log file.

    trainer.train(callback=Progress())     # progress(trainer, row) every step, to config.steps
    progress.close()                       # end the line early (it ends itself at `total`)

    step 1200/6000 [#####..........] 410 it/s  0:12 left  d 1.31 g 0.78  modes 8/8 hq 71%

Where it draws:
    terminal    one line on stderr, redrawn in place ("\\r") at most 10 times a second,
                cut to the terminal's width so it never wraps, padded so no old text stays
    Jupyter     one output line, replaced in place (IPython's display with a display_id);
                IPython is only used when it is already running this code
    otherwise   (a file, a pipe) a plain line every 5 % of the run, for logs
The rate is the steps of this run over the time since it started (evaluations included),
and the time left is the steps to go over that rate.
"""

import math
import os
import shutil
import sys
import time

__all__ = ["Progress", "eval_text"]


def eval_text(ev):
    """The short form of one evaluation: 'modes 8/8 hq 75%', 'sw 0.012' or 'w1 0.031'."""
    parts = []
    if "modes" in ev:
        parts.append(f"modes {ev['modes']}/{ev['n_modes']} hq {100 * ev['high_quality']:.0f}%")
    if "sliced_w" in ev:
        parts.append(f"sw {ev['sliced_w']:.3f}")
    if "w1" in ev:
        parts.append(f"w1 {ev['w1']:.3f}")
    return " ".join(parts)


def clock(seconds):
    """Seconds as m:ss, or h:mm:ss from an hour on."""
    s = int(round(seconds))
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"


def notebook_display():
    """IPython.display.display if this code runs inside a Jupyter (IPython) kernel, else None.

    Looks only at modules already imported: a kernel has imported IPython long before, and
    in a terminal nothing is imported for the asking.
    """
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if get is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    from IPython.display import display
    return display


def columns(stream):
    """The width of the terminal `stream` writes to: $COLUMNS if set, else the stream's own
    terminal, else shutil's answer (80 if it knows nothing)."""
    env = os.environ.get("COLUMNS", "")
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return shutil.get_terminal_size().columns


class Progress:
    """A training progress line; call it as progress(trainer, row) after every step.

    total: the step the run ends at (default: the trainer's config.steps); start: the step
    it starts from (default: where the trainer is at its first call), so the rate counts
    this run's steps only. stream: where to write (default: stderr, or the
    notebook's output when running in Jupyter). every: seconds between redraws.
    """

    def __init__(self, total=None, start=None, stream=None, every=0.1):
        self.total = None if total is None else max(int(total), 1)
        self.first, self.find_start = (0, True) if start is None else (int(start), False)
        self.display = notebook_display() if stream is None else None
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.display is None and bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = every
        self.start = time.perf_counter()
        self.last_eval, self.drawn, self.shown, self.handle, self.bar = "", -math.inf, 0, None, 30
        self.reported = self.first

    # ------------------------------------------------------------------ the text
    def line(self, step, row, width, now=None):
        """The progress text for `step`, at most width - 1 characters (the last column of a
        terminal is left free: writing there wraps the line in some terminals)."""
        elapsed = (time.perf_counter() if now is None else now) - self.start
        done = step - self.first
        rate = done / elapsed if elapsed > 0 and done > 0 else None
        head = f"step {step:>{len(str(self.total))}}/{self.total}"      # the same width throughout
        if rate is None:
            speed, left = "  -- it/s", ""
        else:
            speed = f"{rate:4.0f} it/s" if rate >= 10 else f"{rate:4.2g} it/s"
            left = (f"{clock((self.total - step) / rate)} left" if step < self.total
                    else f"done in {clock(elapsed)}")
        losses = f"d {row['d_loss']:.3f} g {row['g_loss']:.3f}" if row else ""
        # too long for the terminal? give up the losses first, then the bar, then the rest
        # from the right: the evaluation, the time left, the rate
        avail, parts = width - 1, [speed, left, self.last_eval, losses]
        for keep in (parts, parts[:3]):
            rest = "  ".join(p for p in keep if p)
            room = min(30, self.bar, avail - len(head) - len(rest) - 5)     # " [" + bar + "]  "
            if room >= 10:
                self.bar = room         # the bar only ever shrinks: it does not jump about
                fill = int(room * min(max(step / self.total, 0.0), 1.0))
                return f"{head} [{'#' * fill}{'.' * (room - fill)}]  {rest}".rstrip()
        keep = parts[:3]
        while keep and len("  ".join(p for p in [head, *keep] if p)) > avail:
            keep.pop()
        return "  ".join(p for p in [head, *keep] if p)[:avail]

    # ------------------------------------------------------------------ drawing
    def __call__(self, trainer, row):
        if self.total is None:
            self.total = max(int(trainer.config.steps), 1)
        if self.find_start:               # the step before the first one this run takes
            self.first = self.reported = trainer.step - 1
            self.find_start = False
        evals = getattr(trainer, "evaluations", None)
        if evals and evals[-1]["step"] == trainer.step:
            self.last_eval = eval_text(evals[-1])
        step, now = trainer.step, time.perf_counter()
        last = step >= self.total
        if self.tty or self.display is not None:
            if last or now - self.drawn >= self.every:
                self.drawn = now
                self.show(self.line(step, row, columns(self.stream) if self.tty else 120, now))
        elif last or step - self.reported >= max(self.total // 20, 1):
            self.reported = step
            self.stream.write(self.line(step, row, 120, now) + "\n")
            self.stream.flush()
        if last:
            self.close()

    def show(self, text):
        """Replace the line on screen by `text` (padded over what was there before)."""
        if self.display is not None:
            bundle = {"text/plain": text}
            if self.handle is None:
                self.handle = self.display(bundle, raw=True, display_id=True)
            else:
                self.handle.update(bundle, raw=True)
            return
        self.stream.write("\r" + text + " " * max(self.shown - len(text), 0))
        self.stream.flush()
        self.shown = len(text)

    def say(self, text):
        """End the progress line and write `text` on a line of its own (e.g. the next phase)."""
        self.close()
        if self.display is not None:
            self.display({"text/plain": text}, raw=True)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self):
        """End the line in a terminal (the cursor moves below it); nothing to do elsewhere."""
        if self.tty and self.shown:
            self.stream.write("\n")
            self.stream.flush()
        self.shown = 0
