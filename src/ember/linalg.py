"""ember.linalg: torch.linalg's functions (decompositions, solvers, norms).

The ops live in ``ops/decomposition.py`` as ``linalg_<name>``; this namespace gives them the
names PyTorch gives them in torch.linalg.
"""

from .ops import decomposition as _d
from .ops.linalg import matmul

LinAlgError = _d._LinAlgError

__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh",
    "eigvals", "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor",
    "ldl_factor_ex", "ldl_solve", "lstsq", "lu", "lu_factor",
    "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power",
    "matrix_rank", "multi_dot", "norm", "pinv", "qr", "slogdet", "solve", "solve_ex",
    "solve_triangular", "svd", "svdvals", "tensorinv", "tensorsolve", "vander", "vecdot",
    "vector_norm",
]

cholesky = _d.linalg_cholesky
cholesky_ex = _d.linalg_cholesky_ex
cond = _d.linalg_cond
cross = _d.linalg_cross
det = _d.linalg_det
diagonal = _d.linalg_diagonal
eig = _d.linalg_eig
eigh = _d.linalg_eigh
eigvals = _d.linalg_eigvals
eigvalsh = _d.linalg_eigvalsh
householder_product = _d.linalg_householder_product
inv = _d.linalg_inv
inv_ex = _d.linalg_inv_ex
ldl_factor = _d.linalg_ldl_factor
ldl_factor_ex = _d.linalg_ldl_factor_ex
ldl_solve = _d.linalg_ldl_solve
lstsq = _d.linalg_lstsq
lu = _d.linalg_lu
lu_factor = _d.linalg_lu_factor
lu_factor_ex = _d.linalg_lu_factor_ex
lu_solve = _d.linalg_lu_solve
matrix_exp = _d.linalg_matrix_exp
matrix_norm = _d.linalg_matrix_norm
matrix_power = _d.linalg_matrix_power
matrix_rank = _d.linalg_matrix_rank
multi_dot = _d.linalg_multi_dot
norm = _d.linalg_norm
pinv = _d.linalg_pinv
qr = _d.linalg_qr
slogdet = _d.linalg_slogdet
solve = _d.linalg_solve
solve_ex = _d.linalg_solve_ex
solve_triangular = _d.linalg_solve_triangular
svd = _d.linalg_svd
svdvals = _d.linalg_svdvals
tensorinv = _d.linalg_tensorinv
tensorsolve = _d.linalg_tensorsolve
vander = _d.linalg_vander
vecdot = _d.linalg_vecdot
vector_norm = _d.linalg_vector_norm

# classes and functions exported here from internal modules say this namespace in __module__
from . import _names as _names_  # noqa: E402

_names_.adopt(__name__)
