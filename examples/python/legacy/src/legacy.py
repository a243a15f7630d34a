"""The algorithm behind the legacy runner in bin/pipe."""


def apply(input):
    """Answer ``"legacy: <input>"``."""
    return "legacy: {}".format(input)
