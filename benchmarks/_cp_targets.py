"""The targets of the CP-engine benchmarks (tensors with their best known ranks), and the
table rows and JSON files the benchmark scripts write.

Every target is built from what the repository has (``fusion.algebras`` for the matrix
multiplication and algebra structure tensors, ``wordtensor.word_tensor`` for the word tensors);
nothing is typed in by hand.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CPTarget:
    """A benchmark target: a short key, a display name, its best known rank (with the source)."""

    key: str
    name: str
    rank: int
    source: str

    def tensor(self):
        """The tensor (a dense array or a WordTensor)."""
        import wordtensor as wt
        from fusion.algebras import matmul_tensor, multiplication_tensor

        if self.key.startswith("mm"):
            n, m, p = (int(c) for c in self.key[2:])
            return matmul_tensor(n, m, p)
        if self.key == "C":
            return multiplication_tensor("C")
        if self.key == "H":
            return multiplication_tensor("H")
        if self.key == "M2C":
            return multiplication_tensor("C", 2)
        group = self.key.split("_")[0]
        return wt.word_tensor(group, "xy")


TARGETS = {t.key: t for t in [
    CPTarget("mm222", "<2,2,2>", 7, "Strassen 1969"),
    CPTarget("C", "C over R", 3, "Gauss"),
    CPTarget("H", "H over R", 8, "quaternion_rank8 (fusion.algebras)"),
    CPTarget("mm223", "<2,2,3>", 11, "Hopcroft-Kerr 1971"),
    CPTarget("M2C", "M2(C) over R", 21, "Gauss x Strassen"),
    CPTarget("mm333", "<3,3,3>", 23, "Laderman 1976"),
    CPTarget("A4_xy", "A4 xy", 27, "R + C + M3(R): 1 + 3 + 23"),
    CPTarget("S4_xy", "S4 xy", 55, "R + R + M2(R) + 2 M3(R): 1 + 1 + 7 + 23 + 23"),
]}


def table_row(*cells: object) -> str:
    """One row of a markdown table."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def save_json(path: str | None, data: object) -> None:
    """Write ``data`` as strict JSON to ``path`` (nothing when ``path`` is None)."""
    if path:
        from wordtensor.storage import write_json

        write_json(path, data)
