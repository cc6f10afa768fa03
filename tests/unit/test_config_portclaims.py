"""The port-claims index behind the duplicate-flow check: the first flow to claim a port owns it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from infra.config.fields import PortRange
from infra.config.portclaims import PortClaims


def test_the_first_claimer_of_each_port_owns_it() -> None:
    claims = PortClaims()
    claims.claim([PortRange(10, 10)], 0)
    claims.claim([PortRange(20, 20)], 1)
    claims.claim([PortRange(5, 25)], 2)  # gets 5-9, 11-19 and 21-25
    assert claims.owner([PortRange(10, 10)]) == 0
    assert claims.owner([PortRange(20, 20)]) == 1
    assert claims.owner([PortRange(15, 15)]) == 2
    assert claims.owner([PortRange(11, 30)]) == 2  # the lowest claimed port of the range is 11
    assert claims.owner([PortRange(26, 30)]) is None
    assert claims.owner([PortRange(26, 30), PortRange(20, 21)]) == 1  # the earliest owner over the ranges


def test_adjacent_claims_merge_and_later_gaps_are_found() -> None:
    claims = PortClaims()
    for port in range(100, 200):
        claims.claim([PortRange(port, port)], port)
    claims.claim([PortRange(50, 250)], 1000)
    assert claims.owner([PortRange(150, 150)]) == 150
    assert claims.owner([PortRange(60, 60)]) == 1000
    assert claims.owner([PortRange(201, 300)]) == 1000
    assert claims.owner([PortRange(251, 300)]) is None


ranges = st.lists(st.tuples(st.integers(1, 60), st.integers(0, 8)).map(lambda p: PortRange(p[0], p[0] + p[1])),
                  min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.lists(ranges, max_size=30), ranges)
def test_owner_matches_port_by_port_bookkeeping(claimed: list[list[PortRange]], query: list[PortRange]) -> None:
    claims = PortClaims()
    first: dict[int, int] = {}
    for flow, flow_ranges in enumerate(claimed):
        claims.claim(flow_ranges, flow)
        for item in flow_ranges:
            for port in range(item.start, item.end + 1):
                first.setdefault(port, flow)
    expected = []
    for item in query:
        owned = [port for port in range(item.start, item.end + 1) if port in first]
        if owned:
            expected.append(first[min(owned)])
    assert claims.owner(query) == min(expected, default=None)
