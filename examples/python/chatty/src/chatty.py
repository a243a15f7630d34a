"""Prints on load and on every call.

Input ``{"out": S, "err": E}`` prints ``S`` on stdout and ``E`` on stderr
(each only when given) and returns ``{"ok": true}``.
"""

import sys

print("loading chatty")


def apply(input):
    """Print what the input asks for."""
    if isinstance(input, dict):
        if "out" in input:
            print(input["out"])
        if "err" in input:
            print(input["err"], file=sys.stderr)
    return {"ok": True}
