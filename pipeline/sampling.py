"""Fair samples over a corpus, below the stages: :class:`RoundRobin` keeps,
per key, the first items of a round-robin over documents. Used by the graph
stage (a pair's evidence) and the report (the keyword-in-context lines);
imports no stage.
"""

from __future__ import annotations


class RoundRobin:
    """Per key, the first ``keep`` items of a round-robin over documents in id
    order (each document's first item, then each one's second, ...), fed one
    document at a time (:meth:`add`, in id order) in memory that does not grow
    with the number of documents. Of ``keep`` items kept, round r can only
    take from the first ``keep`` documents that have an r-th item, and no
    round from ``keep`` on contributes (a document with that many items fills
    every earlier round): a key holds at most ``keep`` items per round."""

    def __init__(self, keep: int):
        self.keep = keep
        self._rounds: dict[str, list[list]] = {}

    def add(self, key: str, items: list) -> None:
        rounds = self._rounds.setdefault(key, [[] for _ in range(self.keep)])
        for r, item in enumerate(items[:self.keep]):
            if len(rounds[r]) < self.keep:
                rounds[r].append(item)

    def result(self, key: str) -> list:
        return [item for items in self._rounds.get(key, ()) for item in items][:self.keep]
