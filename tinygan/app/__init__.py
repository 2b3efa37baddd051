"""The application: the `tinygan` command, run folders on disk, the HTML report.

    cli      `tinygan train | evaluate | list | exercise` (also `python -m tinygan`)
    run      one training run written to a folder: history, metrics, figures, checkpoint
    report   the self-contained HTML report of the demos' tour
    errors   UsageError: a user's mistake, printed as one line with exit status 2
"""
