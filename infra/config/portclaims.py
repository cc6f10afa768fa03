"""Which flow first allowed each port of one (source, destination, protocol): the index behind the
duplicate-flow check, so that checking n flows costs about n lookups instead of n * n comparisons.

Two sorted lists of disjoint ranges are kept: ``owned`` (each range with the flow that claimed it first;
later flows only get the gaps they add) and ``covered`` (their union, merged, used to find those gaps).
A wide range over many claimed ports merges them in ``covered`` once, so every later scan is short.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

from infra.config.fields import PortRange


class PortClaims:
    """Ports claimed by flows, in claim order; the first claimer of a port owns it."""

    def __init__(self) -> None:
        self._owned_starts: list[int] = []
        self._owned_ends: list[int] = []
        self._owners: list[int] = []
        self._covered_starts: list[int] = []
        self._covered_ends: list[int] = []

    def owner(self, ports: Iterable[PortRange]) -> int | None:
        """The flow owning the lowest already-claimed port of each range; the earliest of them, or None."""
        found: list[int] = []
        for item in ports:
            index = bisect_right(self._owned_starts, item.start) - 1
            if index >= 0 and self._owned_ends[index] >= item.start:
                found.append(self._owners[index])
            elif index + 1 < len(self._owned_starts) and self._owned_starts[index + 1] <= item.end:
                found.append(self._owners[index + 1])
        return min(found, default=None)

    def claim(self, ports: Iterable[PortRange], flow: int) -> None:
        """Give ``flow`` every port of ``ports`` nobody owns yet."""
        for item in ports:
            self._claim(item.start, item.end, flow)

    def _claim(self, start: int, end: int, flow: int) -> None:
        starts, ends = self._covered_starts, self._covered_ends
        # The covered ranges that touch [start, end] (overlap or adjacency) form one run: first..last-1.
        first = bisect_left(ends, start - 1)
        last = bisect_right(starts, end + 1)
        cursor = start
        for index in range(first, last):
            if starts[index] > cursor:
                self._own(cursor, min(starts[index] - 1, end), flow)
            cursor = max(cursor, ends[index] + 1)
        if cursor <= end:
            self._own(cursor, end, flow)
        merged_start = min(start, starts[first]) if first < last else start
        merged_end = max(end, ends[last - 1]) if first < last else end
        starts[first:last] = [merged_start]
        ends[first:last] = [merged_end]

    def _own(self, start: int, end: int, flow: int) -> None:
        index = bisect_left(self._owned_starts, start)
        self._owned_starts.insert(index, start)
        self._owned_ends.insert(index, end)
        self._owners.insert(index, flow)
