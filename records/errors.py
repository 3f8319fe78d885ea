"""The one kind of error a front end shows as a line, not a traceback."""


class UserError(Exception):
    """Something the person running the program can fix: a bad file, setting, index or
    model. The message names the file and line, or the field, and says what to do; front
    ends print it on one line and exit 1 (the command line) or keep serving (a reload)."""


def first_line(error: BaseException) -> str:
    """An error's message cut to its first line (a log line or a chat reply holds one)."""
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
