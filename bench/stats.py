"""The benchmarks' arithmetic: medians and nearest-rank percentiles."""

from __future__ import annotations


def median(values) -> float:
    """The median (the mean of the middle two for an even count), 0.0 when empty."""
    values = sorted(values)
    if not values:
        return 0.0
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def percentile(values, p: float) -> float:
    """The p-th percentile of the values (nearest rank), 0.0 when empty."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]
