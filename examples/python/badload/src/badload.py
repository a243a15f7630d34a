"""Fails while loading: importing it raises."""


def _load_model():
    """Stand in for loading a model that is missing."""
    raise RuntimeError("cannot load model")


MODEL = _load_model()


def apply(input):
    """Return the input; never reached because loading fails."""
    return input
