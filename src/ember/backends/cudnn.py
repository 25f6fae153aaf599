"""ember.backends.cudnn: the flags scripts set (benchmark, deterministic) are accepted and have
no effect; cuDNN itself is never available."""

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
