"""Always raises.

Input ``{"error_type": T, "message": M}`` raises an exception whose
``error_type`` attribute is ``T`` and whose message is ``M`` (default "boom");
any other input raises ``ValueError("boom")``.
"""


class TypedError(Exception):
    """An exception carrying the error type the runner reports."""

    def __init__(self, message, error_type):
        super().__init__(message)
        self.error_type = error_type


def apply(input):
    """Raise the error the input asks for."""
    if isinstance(input, dict) and "error_type" in input:
        raise TypedError(input.get("message", "boom"), input["error_type"])
    raise ValueError("boom")
