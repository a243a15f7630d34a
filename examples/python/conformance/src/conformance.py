"""The demo/conformance algorithm: the behaviour every LangPack's conformance
example shares, checked by the end-to-end LangPack matrix.

Binary and non-string JSON come back unchanged; the text commands "fail",
"print", "crash" and "pid" exercise errors, output, crashes and the runner's
identity; any other text ``s`` answers ``"hello " + s``.
"""

import os
import sys


class ConformanceError(Exception):
    """The error "fail" raises; the runner reports its error_type."""

    error_type = "ConformanceError"


def apply(input):
    """Answer as every LangPack's conformance algorithm does."""
    if not isinstance(input, str):
        return input
    if input == "fail":
        raise ConformanceError("conformance failure")
    if input == "print":
        print("to stdout", flush=True)
        print("to stderr", file=sys.stderr, flush=True)
        return "printed"
    if input == "crash":
        os._exit(3)
    if input == "pid":
        return os.getpid()
    return "hello " + input
