"""The application: the `tinygan` command and what it leaves on disk.

    cli          `tinygan train | evaluate | list | tour | demo | exercise` (also `python -m tinygan`);
                 a user's mistake is one line and exit status 2 (UsageError)
    run          one training run written to a folder: history, metrics, figures, run.html,
                 frames, checkpoint, each file written atomically
    folder       a run folder belongs to one run: its lock, and the run's own files (RUN_FILES)
    checkpoint   the whole training state in one .npz: no pickle, bit-for-bit resume, every
                 file read checked against its config before anything is allocated
    divergence   which number of a step went NaN or inf first, and what to try (locate)
    memory       refuse, in one line, a run or an evaluation the machine cannot hold
    progress     the progress line, in a terminal, in Jupyter or in a log file
    page         run.html: a run to scrub through in a browser (its template: run_page.html)

The app may import every other part of tinygan, and no other part imports it. The demos' tour and
its report live in tinygan.questions, the exercise checker in tinygan.exercises.
"""
