"""The worked example's published figures (docs/model.md §9), shared by the tests."""

REDESIGN = "Omnichannel service redesign"
OUTREACH = "Proactive outreach for affluent"

# (value, decimals shown in the spec)
PUBLISHED_KPIS = {
    "npv": (2_469_087.08, 2),
    "pv_benefits": (13_187_411.40, 2),
    "pv_costs": (10_718_324.32, 2),
    "roi": (0.230361, 6),
    "irr": (0.243752, 6),
    "payback_years": (3.114295, 6),
    "discounted_payback_years": (3.662981, 6),
    "extra_customers_end": (15_586.16, 2),
    "annual_switching_loss": (10_177_638.34, 2),
}
PUBLISHED_BENEFITS = [0.0, 2_133_053.98, 3_221_335.53, 3_940_170.97, 4_207_992.49, 4_431_457.41]
PUBLISHED_BY_LEVER = {
    "retention": 2_831_616.28,
    "wallet": 6_471_765.98,
    "referral": 683_930.33,
    "service": 3_200_098.82,
}
PUBLISHED_BY_INITIATIVE = {REDESIGN: -221_445.02, OUTREACH: 2_690_532.10}
PUBLISHED_CLV = {"Mass market": (265.18, 323.95), "Affluent": (3_020.52, 4_058.22)}


def assert_published(got, expected, decimals):
    """Agreement with a published figure: 1e-6 relative, or the rounding of the last digit shown.

    docs/model.md §9 prints figures rounded (CLV to cents, ROI to 6 decimals); a rounded figure can
    differ from the exact one by half a unit of its last digit, which for the CLVs exceeds
    1e-6 relative (265.18 vs 265.178571...). The tests also pin the exact values.
    """
    assert got is not None
    tol = max(1e-6 * abs(expected), 0.5 * 10.0**-decimals + 1e-12)
    assert abs(got - expected) <= tol, (got, expected)
