"""Field types of the scenario schema (cxroi.model.field_types): rules and their messages."""

from __future__ import annotations

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from cxroi.model.distributions import Distribution
from cxroi.model.field_types import Capex, Tenure, _Real, _tenure, _year_mapping


class _Probe(BaseModel):
    margin: Annotated[Any, _Real("gross_margin")] = 0.3
    capex: Capex = 0.0
    tenure: Tenure = 0.0


def _message(func, value) -> str:
    with pytest.raises(PydanticCustomError) as info:
        func(value)
    return info.value.message()


def test_year_mapping_reads_digit_strings():
    assert _year_mapping({"2": 5, 0: 1.5}) == {2: 5.0, 0: 1.5}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({1: -1}, "amount for year 1 must be >= 0"),
        ({"1": 1, 1: 2}, "year 1 is given twice"),
        ({-1: 1}, "year key -1 must be a whole year 0..horizon_years"),
        ({"x": 1}, "year key 'x' must be a whole year 0..horizon_years"),
        ({True: 1}, "year key True must be a whole year 0..horizon_years"),
        ({1: "a"}, "amount for year 1 must be a number"),
    ],
)
def test_year_mapping_messages(value, message):
    assert _message(_year_mapping, value) == message


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({0: 0.5, 1: 0.6}, "shares must sum to 1 within 1e-9 (they sum to 1.1)"),
        ({0: 1.5}, "share for 0 renewals must be in [0, 1]"),
        ({"2": 0.5, 2: 0.5}, "2 renewals is given twice"),
        ({}, "a tenure mix needs at least one renewals -> share entry"),
    ],
)
def test_tenure_mix_messages(value, message):
    assert _message(_tenure, value) == message


def test_tenure_mix_and_number():
    assert _tenure({"0": 0.25, 3: 0.75}) == {0: 0.25, 3: 0.75}
    assert _tenure(2) == 2.0


def test_real_field_checks_the_range_and_keeps_distributions():
    with pytest.raises(ValidationError, match=r"must be in \[0, 1\]"):
        _Probe(margin=1.5)
    probe = _Probe(margin={"dist": "uniform", "low": 0.2, "high": 0.4}, capex={"1": 10})
    assert isinstance(probe.margin, Distribution) and probe.margin.base == pytest.approx(0.3)
    dumped = probe.model_dump()
    assert dumped["margin"] == {"dist": "uniform", "low": 0.2, "high": 0.4}
    assert dumped["capex"] == {1: 10.0}
