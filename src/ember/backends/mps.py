"""ember.backends.mps: Apple's GPU backend is neither built nor available."""


def is_available():
    return False


def is_built():
    return False
