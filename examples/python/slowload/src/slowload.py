"""Takes an hour to load, so it never becomes ready within a load timeout."""

import time

time.sleep(3600)


def apply(input):
    """Return the input; never reached in practice."""
    return input
