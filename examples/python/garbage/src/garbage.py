"""Writes a response that is not JSON to the FIFO, then hangs."""

import os
import time


def apply(input):
    """Write garbage where the runner's response belongs and never return."""
    with open(os.environ.get("ALGOOUT") or "/tmp/algoout", "w") as fifo:
        fifo.write("this is not json\n")
    time.sleep(3600)
