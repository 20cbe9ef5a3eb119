"""How often each carrier service delivers by the date it estimated, learned from our shipments.

The score is the mean of a Beta posterior: the observed on-time count plus a prior worth
`weight` shipments at `mean`. With the default prior (10 shipments at 90%) a service with 2 of 2
on time scores 11/12 = 92%, not 100%, and one with 200 of 200 scores 99.5%: evidence wins as it
accumulates, and a few lucky deliveries do not make a carrier look perfect.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from orderflow.fulfilment.types import DeliveryRecord, ReliabilityScore


@dataclass(frozen=True)
class ReliabilityPrior:
    mean: float = 0.9
    weight: float = 10.0  # how many shipments the prior is worth

    def __post_init__(self) -> None:
        if not 0 <= self.mean <= 1:
            raise ValueError("The prior mean is a share: between 0 and 1")
        if self.weight <= 0:
            raise ValueError("The prior weight must be more than 0 shipments")


DEFAULT_PRIOR = ReliabilityPrior()


def on_time(record: DeliveryRecord) -> bool | None:
    """Delivered on or before the estimate; None when the record cannot tell."""
    if record.estimated_delivery is None or record.delivered_on is None:
        return None
    return record.delivered_on <= record.estimated_delivery


def posterior_mean(on_time_count: int, delivered: int, prior: ReliabilityPrior) -> float:
    return (on_time_count + prior.mean * prior.weight) / (delivered + prior.weight)


def reliability_scores(
    records: Iterable[DeliveryRecord], prior: ReliabilityPrior = DEFAULT_PRIOR
) -> dict[tuple[str, str], ReliabilityScore]:
    """One score per (carrier, service) that has at least one record that can tell.

    Records without an estimate or a delivery date are left out: they say nothing about
    punctuality.
    """
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        outcome = on_time(record)
        if outcome is not None:
            tally = counts[(record.carrier, record.service)]
            tally[0] += int(outcome)
            tally[1] += 1
    return {
        key: ReliabilityScore(*key, delivered, hits, posterior_mean(hits, delivered, prior))
        for key, (hits, delivered) in counts.items()
    }


def score_for(
    scores: Mapping[tuple[str, str], ReliabilityScore],
    carrier: str,
    service: str,
    prior: ReliabilityPrior = DEFAULT_PRIOR,
) -> ReliabilityScore:
    """The service's score, or the prior alone (0 deliveries) when we have never shipped it."""
    return scores.get((carrier, service)) or ReliabilityScore(carrier, service, 0, 0, prior.mean)


def reliability_table(
    scores: Mapping[tuple[str, str], ReliabilityScore],
) -> dict[tuple[str, str], float]:
    """The scores as carrier selection takes them; a service never shipped is absent: unknown."""
    return {key: score.score for key, score in scores.items()}
