"""Prints on load and on every call.

Input ``{"out": S, "err": E}`` prints ``S`` on stdout and ``E`` on stderr
(each only when given) and returns ``{"ok": true}``; ``{"flood": N}`` prints N
lines of 100 characters on stdout first.
"""

import sys

print("loading chatty")


def apply(input):
    """Print what the input asks for."""
    if isinstance(input, dict):
        for i in range(input.get("flood", 0)):
            print("%099d" % i)
        if "out" in input:
            print(input["out"])
        if "err" in input:
            print(input["err"], file=sys.stderr)
    return {"ok": True}
