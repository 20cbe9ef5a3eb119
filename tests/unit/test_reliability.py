from datetime import date

import pytest

from orderflow.fulfilment.reliability import (
    DEFAULT_PRIOR,
    ReliabilityPrior,
    on_time,
    posterior_mean,
    reliability_scores,
    reliability_table,
    score_for,
)
from orderflow.fulfilment.types import DeliveryRecord

ESTIMATE = date(2026, 12, 3)


def delivered(carrier: str, service: str, days_late: int) -> DeliveryRecord:
    return DeliveryRecord(carrier, service, ESTIMATE, date(2026, 12, 3 + days_late))


def test_delivery_on_or_before_the_estimate_is_on_time():
    assert on_time(delivered("UPS", "Ground", 0)) is True
    assert on_time(delivered("UPS", "Ground", -2)) is True
    assert on_time(delivered("UPS", "Ground", 1)) is False
    assert on_time(DeliveryRecord("UPS", "Ground", None, ESTIMATE)) is None
    assert on_time(DeliveryRecord("UPS", "Ground", ESTIMATE, None)) is None


def test_two_deliveries_do_not_make_a_perfect_score():
    scores = reliability_scores([delivered("USPS", "Priority", 0)] * 2)

    score = scores[("USPS", "Priority")]
    assert (score.delivered, score.on_time, score.observed_share) == (2, 2, 1.0)
    assert score.score == pytest.approx(11 / 12)


def test_many_deliveries_outweigh_the_prior():
    records = [delivered("UPS", "Ground", 0)] * 150 + [delivered("UPS", "Ground", 2)] * 50

    score = reliability_scores(records)[("UPS", "Ground")]
    assert score.observed_share == 0.75
    assert score.score == pytest.approx((150 + 9) / 210)
    assert abs(score.score - 0.75) < 0.01


def test_services_are_scored_separately():
    records = [delivered("UPS", "Ground", 1), delivered("UPS", "NextDayAir", 0)]

    scores = reliability_scores(records)
    assert scores[("UPS", "Ground")].on_time == 0
    assert scores[("UPS", "NextDayAir")].on_time == 1


def test_records_that_cannot_tell_are_left_out():
    records = [DeliveryRecord("DHL", "Express", None, ESTIMATE)]

    assert reliability_scores(records) == {}


def test_a_service_never_shipped_gets_the_prior_with_no_deliveries():
    score = score_for({}, "FedEx", "Home")

    assert (score.delivered, score.score, score.observed_share) == (0, 0.9, None)


def test_the_table_for_selection_leaves_unknown_services_out():
    table = reliability_table(reliability_scores([delivered("USPS", "Priority", 3)]))

    assert table == {("USPS", "Priority"): pytest.approx(9 / 11)}


def test_the_prior_is_configurable():
    prior = ReliabilityPrior(mean=0.5, weight=2)

    assert posterior_mean(8, 8, prior) == pytest.approx(9 / 10)
    assert posterior_mean(0, 0, DEFAULT_PRIOR) == pytest.approx(0.9)
    with pytest.raises(ValueError):
        ReliabilityPrior(mean=1.5)
    with pytest.raises(ValueError):
        ReliabilityPrior(weight=0)
