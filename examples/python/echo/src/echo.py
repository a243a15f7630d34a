"""Returns its input unchanged: bytes stay bytes, str stays str, JSON stays JSON."""


def apply(input):
    """Return ``input`` as it came."""
    return input
