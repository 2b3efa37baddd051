"""The one error type of the application layer."""


class UsageError(Exception):
    """A user's mistake on the command line: printed as one line, exit status 2."""
