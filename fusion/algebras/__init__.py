"""Low-rank decompositions of ⟨n, m, p⟩ and of the simple algebras M_d(R), M_d(C), M_d(H) of R[G].

Modules, lowest first: ``tensors`` (the tensors and their bases), ``decompositions`` (the result
type and the float and exact checks), ``named`` (standard, Gauss, quaternion-8, Strassen,
Laderman; coefficients in ``fusion/data/named_algorithms.json``), ``combinators`` (Kronecker
products, symmetries, restriction, block sums), ``embeddings`` (pull-back along M_d(C) → M_2d(R)
and M_d(H) → M_2d(C)), ``published`` (Fawzi et al. 2022 and the 2025 records, from
``fusion/data/``), ``best`` (the planner of the best known decomposition).

>>> from fusion.algebras import best_decomposition, matmul_record, multiplication_tensor
>>> from fusion.algebras.decompositions import verify
>>> kd = best_decomposition("H", 2)
>>> kd.rank, kd.method, verify(kd.cp, multiplication_tensor("H", 2))
(56, 'kron(strassen, quat8)', 0.0)
>>> matmul_record(4).rank                                # ⟨4,4,4⟩ in 48 (2025)
48
"""

from .best import best_decomposition, known_matmul
from .decompositions import KnownDecomposition
from .named import named_decomposition, strassen
from .published import matmul_record, published_decomposition
from .tensors import matmul_tensor, multiplication_tensor

__all__ = [
    "multiplication_tensor", "matmul_tensor", "KnownDecomposition", "named_decomposition",
    "strassen", "published_decomposition", "matmul_record", "known_matmul", "best_decomposition",
]
