"""The cells of the rank atlas: one per (SmallGroup, word), its key, and the task that computes
it on a worker (:func:`atlas_cell`: the rank report of ``fusion.ranks`` as JSON, with the
group's GAP id and structure).

>>> cells = atlas_cells([6], split_words("xy,[x,y]"))
>>> [c.key for c in cells]
['6_1_xy-5f8459', '6_1_x-y-51015f', '6_2_xy-5f8459', '6_2_x-y-51015f']
>>> r = atlas_cell(cells[0].params)
>>> r["group"]["structure"], r["report"]["lower"], r["report"]["upper"]
('S3', 9, 9)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from wordtensor import Group, Word
from wordtensor.errors import UsageError
from wordtensor.smallgroups import SmallGroupInfo, small_groups
from wordtensor.sweep import Cell

__all__ = ["KIND", "split_words", "word_slug", "cell_key", "atlas_cells", "atlas_settings",
           "atlas_cell"]

#: The kind of sweep the atlas stores (its manifest's ``kind``).
KIND = "atlas"


def split_words(text: str) -> list[Word]:
    """The words of a comma list, split at the commas outside brackets and parentheses only
    (``[x,y]`` holds a comma), parsed, each once (``x*y`` and ``xy`` are the same word).

    >>> [str(w) for w in split_words("xy,xyx,xyX,xxyy,[x,y]")]
    ['xy', 'xyx', 'xyX', 'xxyy', '[x,y]']
    >>> [str(w) for w in split_words("[x,[x,y]], x*y, xy")]
    ['[x,[x,y]]', 'xy']
    >>> split_words("xy,,yx")                      # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    wordtensor.errors.UsageError: empty word in the word list 'xy,,yx' (write words separated ...
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    words: list[Word] = []
    for part in parts:
        if not part.strip():
            raise UsageError(f"empty word in the word list {text!r} (write words separated by "
                             "commas, e.g. xy,xyX,[x,y])")
        w = Word.parse(part.strip())
        if w not in words:
            words.append(w)
    return words


def word_slug(word: Word | str) -> str:
    """A file-name form of a word: lowercase, an uppercase (inverse) letter as ``_`` and the
    letter, other symbols as ``-``, then 6 hex digits of the word's hash, so that two words do not
    share a slug (but for a 24-bit hash collision), even on a case-insensitive file system.

    >>> [word_slug(w) for w in ("xy", "xyX", "xyx", "[x,y]")]
    ['xy-5f8459', 'xy_x-39b99d', 'xyx-2e7ccf', 'x-y-51015f']
    """
    text = str(word)
    readable = re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), text)
    readable = re.sub(r"[^a-z0-9_]+", "-", readable).strip("-")[:40] or "w"
    return f"{readable}-{hashlib.sha1(text.encode()).hexdigest()[:6]}"


def cell_key(group: SmallGroupInfo, word: Word | str) -> str:
    """The key (and file name) of a cell: ``<n>_<i>_<word slug>``.

    >>> from wordtensor.smallgroups import small_group_info
    >>> cell_key(small_group_info(24, 12), "xyX")
    '24_12_xy_x-39b99d'
    """
    return f"{group.order}_{group.index}_{word_slug(word)}"


def atlas_settings(search_seconds: float = 0.0, seed: int = 0) -> dict:
    """What decides a cell's content besides its group and word: the numerical search's time
    budget per cell (0: no search) and its random seed. A store keeps them in its manifest and
    refuses a run with others.

    >>> atlas_settings()
    {'search_seconds': 0.0, 'seed': 0}
    """
    if not search_seconds >= 0:
        raise UsageError(f"--search-seconds must be >= 0, got {search_seconds}")
    return {"search_seconds": float(search_seconds), "seed": int(seed)}


def atlas_cells(orders: Iterable[int], words: Sequence[Word], settings: dict | None = None
                ) -> list[Cell]:
    """The cells of the atlas of the given orders and words, group by group in GAP's order,
    then word by word.

    >>> len(atlas_cells(range(1, 33), split_words("xy,xyx,xyX,xxyy,[x,y]")))
    720
    """
    settings = atlas_settings() if settings is None else settings
    return [Cell(cell_key(g, w), {"spec": g.spec, "id": [g.order, g.index],
                                  "structure": g.structure, "word": str(w), **settings})
            for g in small_groups(list(orders)) for w in words]


@lru_cache(maxsize=8)
def _group(spec: str) -> Group:
    """The group of a spec, kept per worker process for the next words of the same group (its
    characters and representations are cached on it)."""
    return Group.from_spec(spec)


def atlas_cell(params: dict) -> dict:
    """The task of one atlas cell (run on a worker): the rank report of the word on the group,
    as the JSON of :meth:`fusion.ranks.RankReport.to_json` (every key it has), under
    ``report``, with the group's ``id``, ``spec``, ``structure``, ``order`` and ``num_classes``
    under ``group``. A word the rank engine refuses raises its
    :class:`~wordtensor.errors.WordTensorError` (the engine stores a failed cell).

    >>> atlas_cell({"spec": "SmallGroup(8,4)", "id": [8, 4], "structure": "Q8",
    ...             "word": "xy", "search_seconds": 0.0, "seed": 0})["report"]["lower"]
    12
    """
    # fusion.ranks needs tensorly (~0.5 s to import): loaded in the workers, on their first cell
    from ..ranks import rank_bounds

    G = _group(params["spec"])
    seconds = float(params.get("search_seconds", 0.0))
    rep = rank_bounds(G, Word.parse(params["word"]), search=seconds > 0,
                      search_seconds=seconds, random_state=int(params.get("seed", 0)))
    return {"group": {"id": list(params["id"]), "spec": params["spec"],
                      "structure": params["structure"], "order": G.order,
                      "num_classes": G.num_classes},
            "word": params["word"], "report": rep.to_json()}
