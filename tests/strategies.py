"""Shared Hypothesis strategies for the engine's tests.

``scenarios()`` draws valid scenario *mappings* (what a YAML file or a papermill notebook hands
to :func:`cxroi.load_scenario`): 1-3 segments with constant or sBG retention (with tenure),
fixed or replace acquisition, 1-3 initiatives with capex as a number or by year (some year keys
as digit strings), opex as a number or a held list, held ramps, and effects under ``"*"`` and
under segment names (a segment's own entry overriding ``"*"`` field by field). Values are drawn
so that the caps of docs/model.md §3 bind often (share of wallet near 1 with positive lifts,
referral share pushed outside [0, 1] by the lifts).

Example counts are kept modest by the tests that use these (``@settings(max_examples=...)``).
"""

from __future__ import annotations

from hypothesis import strategies as st

SEGMENT_NAMES = ("Mass market", "Affluent", "SME")
INITIATIVE_NAMES = ("Redesign", "Outreach", "Chatbot")
EFFECT_KEYS = ("churn_prevented", "share_of_wallet_lift", "referral_lift", "cost_to_serve_change")


def unit(min_value: float = 0.0, max_value: float = 1.0) -> st.SearchStrategy[float]:
    """A float in [min_value, max_value], the end points drawn often."""
    return st.one_of(
        st.sampled_from([min_value, max_value]),
        st.floats(min_value=min_value, max_value=max_value, allow_nan=False),
    )


def money(max_value: float = 10_000.0) -> st.SearchStrategy[float]:
    """A non-negative amount, zero drawn often."""
    return st.one_of(st.just(0.0), st.floats(min_value=1.0, max_value=max_value))


def sbg_retention() -> st.SearchStrategy[dict]:
    """An sBG retention mapping ``{alpha, beta[, tenure]}``."""
    return st.fixed_dictionaries(
        {
            "alpha": st.floats(min_value=0.1, max_value=20.0),
            "beta": st.floats(min_value=0.1, max_value=20.0),
        },
        optional={
            "tenure": st.one_of(st.integers(0, 10), st.floats(min_value=0.0, max_value=10.0))
        },
    )


def retention(allow_sbg: bool = True) -> st.SearchStrategy:
    """A constant retention rate in [0, 1], or an sBG mapping."""
    constant = unit(0.0, 1.0)
    return st.one_of(constant, sbg_retention()) if allow_sbg else constant


def segment(name: str, allow_sbg: bool = True) -> st.SearchStrategy[dict]:
    """One valid segment mapping; optional fields are sometimes left to their defaults."""
    return st.fixed_dictionaries(
        {
            "name": st.just(name),
            "customers": st.floats(min_value=1.0, max_value=1e6),
            "wallet": money(20_000.0),
            "share_of_wallet": st.one_of(
                st.sampled_from([1.0, 0.95]), st.floats(min_value=0.01, max_value=1.0)
            ),
            "gross_margin": unit(),
            "retention": retention(allow_sbg),
            "acquisition_cost": money(2_000.0),
        },
        optional={
            "cost_to_serve": money(500.0),
            "poor_cx_churn_share": unit(),
            "preventable_share": unit(),
            "referral_share": unit(),
            "acquisition": st.sampled_from(["fixed", "replace"]),
            "new_customers_per_year": money(50_000.0),
        },
    )


def effect() -> st.SearchStrategy[dict]:
    """An effect mapping with any subset of the four effect fields."""
    return st.fixed_dictionaries(
        {},
        optional={
            "churn_prevented": unit(),
            "share_of_wallet_lift": st.floats(min_value=-1.0, max_value=1.0),
            "referral_lift": unit(-1.0, 1.0),
            "cost_to_serve_change": st.floats(min_value=-1.0, max_value=1.0),
        },
    )


@st.composite
def capex(draw, horizon_years: int):
    """Capex as a number (year 0) or a mapping year -> amount, some keys as digit strings."""
    if draw(st.booleans()):
        return draw(money(5e6))
    years = draw(st.lists(st.integers(0, horizon_years), min_size=1, max_size=3, unique=True))
    out = {}
    for year in years:
        key = str(year) if draw(st.booleans()) else year
        out[key] = draw(money(5e6))
    return out


@st.composite
def initiative(draw, name: str, horizon_years: int, segment_names: list[str]):
    """One valid initiative mapping."""
    out: dict = {"name": name}
    if draw(st.booleans()):
        out["capex"] = draw(capex(horizon_years))
    if draw(st.booleans()):
        out["opex"] = draw(st.one_of(money(2e6), st.lists(money(2e6), min_size=1, max_size=4)))
    if draw(st.booleans()):
        out["ramp"] = draw(st.lists(unit(), min_size=1, max_size=4))
    targets = draw(
        st.lists(st.sampled_from(["*", *segment_names]), unique=True, max_size=len(segment_names))
    )
    if targets or draw(st.booleans()):
        out["effects"] = {t: draw(effect()) for t in targets}
    return out


@st.composite
def scenarios(
    draw,
    max_segments: int = 3,
    max_initiatives: int = 3,
    max_horizon: int = 6,
    allow_sbg: bool = True,
    with_risk: bool | None = None,
):
    """A valid scenario mapping (see the module docstring)."""
    n_seg = draw(st.integers(1, max_segments))
    n_ini = draw(st.integers(1, max_initiatives))
    horizon = draw(st.integers(1, max_horizon))
    names = list(SEGMENT_NAMES[:n_seg])
    out: dict = {
        "name": "Hypothesis case",
        "horizon_years": horizon,
        "discount_rate": draw(st.one_of(st.just(0.10), st.floats(min_value=0.02, max_value=0.3))),
        "segments": [draw(segment(n, allow_sbg)) for n in names],
        "initiatives": [draw(initiative(n, horizon, names)) for n in INITIATIVE_NAMES[:n_ini]],
    }
    if with_risk is None:
        with_risk = draw(st.booleans())
    if with_risk:
        out["risk"] = draw(
            st.fixed_dictionaries(
                {},
                optional={
                    "benefit_adjustment": st.floats(min_value=0.0, max_value=0.5),
                    "cost_adjustment": st.floats(min_value=0.0, max_value=0.5),
                },
            )
        )
    return out


@st.composite
def games(draw, max_players: int = 6, n: int | None = None):
    """A cooperative game of n players: ``2**n`` coalition values by bit mask, v(empty) = 0."""
    if n is None:
        n = draw(st.integers(1, max_players))
    values = draw(
        st.lists(
            st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
            min_size=2**n - 1,
            max_size=2**n - 1,
        )
    )
    return n, [0.0, *values]


def amounts(min_value: float = -1e6, max_value: float = 1e6) -> st.SearchStrategy[float]:
    """Money amounts in cents, moderate magnitudes (no subnormal dust)."""
    return st.floats(min_value=min_value, max_value=max_value).map(lambda x: round(x, 2))


def cashflows(min_size: int = 2, max_size: int = 12) -> st.SearchStrategy[list[float]]:
    """Yearly cash flows 0..H."""
    return st.lists(amounts(), min_size=min_size, max_size=max_size)


def investments(max_size: int = 12) -> st.SearchStrategy[list[float]]:
    """An outlay today followed by non-negative returns."""
    return st.tuples(
        amounts(-1e6, -0.01), st.lists(amounts(0.0, 1e6), min_size=1, max_size=max_size - 1)
    ).map(lambda x: [x[0], *x[1]])


def line_amount(horizon_years: int) -> st.SearchStrategy:
    """A TEI line amount: a number, a held list, or a mapping year -> amount (digit keys too)."""
    years = st.dictionaries(
        st.integers(0, horizon_years).flatmap(lambda y: st.sampled_from([y, str(y)])),
        money(1e6),
        min_size=1,
        max_size=3,
    ).filter(lambda m: len({int(k) for k in m}) == len(m))
    return st.one_of(money(1e6), st.lists(money(1e6), min_size=1, max_size=4), years)


@st.composite
def lines(draw, kind: str, horizon_years: int):
    """A list of benefit or cost lines with unique names, some with their own risk."""
    names = draw(st.lists(st.sampled_from(["Handle time", "Retired IT", "Training", "Labour"]),
                          unique=True, max_size=2))  # fmt: skip
    hi = 0.9 if kind == "benefit" else 1.0
    out = []
    for name in names:
        line = {"name": name, "amount": draw(line_amount(horizon_years))}
        if draw(st.booleans()):
            line["risk"] = draw(unit(0.0, hi))
        out.append(line)
    return out


def tenure_mix() -> st.SearchStrategy[dict]:
    """A tenure mix renewals -> share summing to 1 (the last share takes the remainder)."""

    def build(pairs):
        keys = [k for k, _ in pairs]
        weights = [w for _, w in pairs]
        total = sum(weights)
        shares = [w / total for w in weights]
        shares[-1] = 1.0 - sum(shares[:-1])
        return {
            str(k) if i % 2 else k: s for i, (k, s) in enumerate(zip(keys, shares, strict=True))
        }

    pairs = st.lists(
        st.tuples(st.integers(0, 12), st.floats(min_value=0.05, max_value=1.0)),
        min_size=1,
        max_size=3,
        unique_by=lambda p: p[0],
    )
    return pairs.map(build).filter(lambda m: abs(sum(m.values()) - 1.0) <= 1e-12 and
                                   all(v >= 0 for v in m.values()))  # fmt: skip


@st.composite
def v2_scenarios(draw, max_segments: int = 2, max_initiatives: int = 3, max_horizon: int = 5):
    """A v2 scenario mapping: lines, unquantified benefits, by-lever risk, tenure mixes.

    Built on :func:`scenarios` (whose negative lifts and cost increases make yearly customer
    benefits negative often).
    """
    out = draw(scenarios(max_segments, max_initiatives, max_horizon, with_risk=False))
    H = out["horizon_years"]
    for ini in out["initiatives"]:
        if draw(st.booleans()):
            ini["benefit_lines"] = draw(lines("benefit", H))
        if draw(st.booleans()):
            ini["cost_lines"] = draw(lines("cost", H))
        if draw(st.booleans()):
            ini["unquantified"] = ["Brand", "Morale"]
    for seg in out["segments"]:
        if isinstance(seg["retention"], dict) and draw(st.booleans()):
            seg["retention"]["tenure"] = draw(tenure_mix())
    risk = {}
    form = draw(st.sampled_from(["none", "number", "mapping"]))
    if form == "number":
        risk["benefit_adjustment"] = draw(st.floats(min_value=0.0, max_value=0.5))
    elif form == "mapping":
        keys = ("retention", "wallet", "referral", "service", "lines", "default")
        risk["benefit_adjustment"] = draw(
            st.fixed_dictionaries({}, optional={k: unit(0.0, 0.6) for k in keys})
        )
    if draw(st.booleans()):
        risk["cost_adjustment"] = draw(st.floats(min_value=0.0, max_value=0.5))
    if risk:
        out["risk"] = risk
    return out
