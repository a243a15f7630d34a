def apply(input):
    return input
