"""Every platform metric on known inputs (analytics.metrics)."""

from datetime import date
from decimal import Decimal

import pytest

from analytics import metrics


def test_nps_is_promoters_minus_detractors_over_respondents_never_an_average():
    answers = [10, 9, 9, 10, 9, 7, 8, 7, 3, 6]  # 5 promoters, 3 passives, 2 detractors
    assert metrics.nps(answers) == Decimal("30.0")
    assert metrics.nps([9, 9, 0]) == Decimal("33.3")  # average would be 6
    assert metrics.nps([7, 8]) == Decimal("0.0")
    assert metrics.nps([]) is None
    assert metrics.nps([9] + [7] * 15) == Decimal("6.3")  # 6.25: half up, one place
    with pytest.raises(ValueError):
        metrics.nps([11])


def test_counted_and_listed_answers_give_one_nps():
    # Customer success counts the bands in SQL; the chain and the figures count a list.
    counted = metrics.NpsFigure(respondents=10, promoters=5, passives=3, detractors=2)
    listed = metrics.nps_figure([10, 9, 9, 10, 9, 7, 8, 7, 3, 6])

    assert listed == counted
    assert counted.score == metrics.nps([10, 9, 9, 10, 9, 7, 8, 7, 3, 6]) == Decimal("30.0")
    assert metrics.NpsFigure(0, 0, 0, 0).score is None


def test_retention_with_expansion_contraction_and_churn():
    # 10,000 MRR at the start; +1,500 upgrades, -500 downgrades, -1,000 churned
    start = Decimal("10000")
    assert metrics.net_revenue_retention(
        start, Decimal("1500"), Decimal("500"), Decimal("1000")
    ) == Decimal("100.0")
    assert metrics.gross_revenue_retention(start, Decimal("500"), Decimal("1000")) == Decimal(
        "85.0"
    )
    assert metrics.net_revenue_retention(start, Decimal("3000"), 0, 0) == Decimal("130.0")
    assert metrics.gross_revenue_retention(start, 0, 0) == Decimal("100.0")
    assert metrics.net_revenue_retention(Decimal("0"), 1, 0, 0) is None


def test_churn_renewal_arpa_and_arr():
    assert metrics.logo_churn_rate(200, 5) == Decimal("2.5")
    assert metrics.logo_churn_rate(0, 0) is None
    assert metrics.renewal_rate(up_for_renewal=40, renewed=34) == Decimal("85.0")
    assert metrics.arpa(Decimal("29900"), 100) == Decimal("299.00")
    assert metrics.arpa(Decimal("100"), 0) is None
    assert metrics.arr(Decimal("29900")) == Decimal("358800.00")


def test_ltv_and_cac():
    churn = metrics.monthly_churn(churned_in_window=24, average_accounts=Decimal("100"), months=12)
    assert churn == Decimal("0.02")
    ltv = metrics.ltv(Decimal("300"), Decimal("0.70"), churn)
    assert ltv == Decimal("10500.00")  # 300 x 0.7 / 0.02
    cac = metrics.cac(Decimal("42000"), 10)
    assert cac == Decimal("4200.00")
    assert metrics.ltv_to_cac(ltv, cac) == Decimal("2.5")
    assert metrics.ltv(Decimal("300"), Decimal("0.7"), Decimal("0")) is None  # nobody churns
    assert metrics.cac(None, 10) is None and metrics.cac(Decimal("1"), 0) is None
    assert metrics.ltv_to_cac(None, cac) is None


def test_cohort_retention_and_median_days():
    table = metrics.cohort_retention(
        {date(2026, 1, 1): 8, date(2026, 2, 1): 4},
        {date(2026, 1, 1): [8, 6, 4], date(2026, 2, 1): [4, None]},
    )
    assert table == {
        date(2026, 1, 1): [Decimal("100.0"), Decimal("75.0"), Decimal("50.0")],
        date(2026, 2, 1): [Decimal("100.0"), None],
    }
    assert metrics.median_days([1, 3, 2, 10]) == Decimal("2.5")
    assert metrics.median_days([]) is None


def test_every_metric_shown_has_a_definition():
    assert set(metrics.DEFINITIONS) >= {
        "gmv",
        "commission",
        "mrr",
        "arr",
        "logo_churn",
        "grr",
        "nrr",
        "renewal_rate",
        "arpa",
        "ltv",
        "cac",
        "ltv_cac",
        "nps",
        "funnel",
        "cohorts",
    }
