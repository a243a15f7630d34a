"""The __ALGO_OWNER__/__ALGO_NAME__ algorithm."""


def apply(input):
    """Answer a request; ``input`` is a str, bytes or decoded JSON value."""
    return "hello {}".format(input)
