"""ember.backends.cuda: CUDA is not built; the matmul flags are accepted and do nothing."""


class _Matmul:
    allow_tf32 = False
    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built():
    return False
