"""A CPU-bound algorithm, for benchmarks.

Input ``N`` (a number) runs N rounds of integer arithmetic in pure Python
(about 10 ms for the default of 200000 on a typical core) and returns the
checksum; any other input uses the default.
"""

DEFAULT_ROUNDS = 200000


def apply(input):
    """Spin the CPU for the requested number of rounds."""
    rounds = input if isinstance(input, int) and input > 0 else DEFAULT_ROUNDS
    total = 0
    for i in range(rounds):
        total = (total * 31 + i) % 1000003
    return total
