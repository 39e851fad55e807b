"""Unit tests of js/geometry.js, the drawing tool's plane geometry in chip pixels, run in the
browser: the module is imported from a signed-in page as the pages import it."""

import pytest

from conftest import sign_in
from drawing_support import module_browser, signed_in_server  # noqa: F401 (fixtures)

CALL = """
const [name, args, done] = arguments;
import('/app/js/geometry.js')
  .then((geometry) => {
    const value = geometry[name](...args);
    // JSON cannot tell -0 from 0; say it where it matters.
    const marked = JSON.stringify(value, (key, v) => (Object.is(v, -0) ? '-0' : v));
    done({ value: JSON.parse(marked) });
  })
  .catch((error) => done({ error: String(error) }));
"""


@pytest.fixture(scope="module")
def geometry(signed_in_server, module_browser):
    browser = module_browser
    sign_in(browser, signed_in_server, "ana")

    def call(name, *args):
        answer = browser.execute_async_script(CALL, name, list(args))
        assert "error" not in answer, answer
        return answer["value"]

    return call


# ---- closing ----

def test_close_ring_repeats_the_first_point_and_drops_consecutive_duplicates(geometry):
    assert geometry("closeRing", [[0, 0], [10, 0], [10, 0], [10, 10]]) == [[0, 0], [10, 0], [10, 10], [0, 0]]
    # Already closed, or closed with a duplicated last point: still one closing point.
    assert geometry("closeRing", [[0, 0], [10, 0], [10, 10], [0, 0]]) == [[0, 0], [10, 0], [10, 10], [0, 0]]
    assert geometry("closeRing", [[0, 0], [10, 0], [10, 10], [0, 0], [0, 0]]) == [[0, 0], [10, 0], [10, 10], [0, 0]]


def test_close_ring_refuses_fewer_than_three_distinct_points(geometry):
    assert geometry("closeRing", []) is None
    assert geometry("closeRing", [[1, 1], [2, 2]]) is None
    assert geometry("closeRing", [[1, 1], [2, 2], [2, 2], [1, 1]]) is None
    assert geometry("closeRing", [[1, 1], [2, 2], [1, 1], [2, 2]]) is None
    assert geometry("closeRing", [[5, 5], [5, 5], [5, 5]]) is None
    assert geometry("closeRing", [[1, 1], [2, 2], [3, 1]]) == [[1, 1], [2, 2], [3, 1], [1, 1]]


# ---- self-intersection ----

def test_a_bow_tie_crosses_at_its_middle_between_its_two_crossing_edges(geometry):
    bow_tie = [[0, 0], [100, 100], [100, 0], [0, 100], [0, 0]]
    assert geometry("selfIntersections", bow_tie) == [{"point": [50, 50], "edges": [0, 2]}]
    # Off-centre: edges 1 and 3 cross at (30, 20) in this one.
    skewed = [[0, 0], [60, 0], [0, 40], [60, 40], [0, 0]]
    found = geometry("selfIntersections", skewed)
    assert [item["edges"] for item in found] == [[1, 3]]
    assert found[0]["point"] == pytest.approx([30, 20])


def test_a_vertex_touching_another_edge_is_found(geometry):
    # Vertex 3 at (50, 0) lies on edge 0 (0,0)→(100,0): the ring pinches there.
    touching = [[0, 0], [100, 0], [100, 80], [50, 0], [0, 80], [0, 0]]
    found = geometry("selfIntersections", touching)
    assert {"point": [50, 0], "edges": [0, 2]} in found
    assert {"point": [50, 0], "edges": [0, 3]} in found
    assert all(item["point"] == [50, 0] for item in found)
    # A vertex visited twice (a figure eight through one point) touches too.
    eight = [[0, 0], [40, 0], [20, 20], [40, 40], [0, 40], [20, 20], [0, 0]]
    assert all(item["point"] == [20, 20] for item in geometry("selfIntersections", eight))
    assert geometry("selfIntersections", eight)


def test_a_simple_concave_polygon_has_none_and_adjacent_edges_do_not_count(geometry):
    concave = [[0, 0], [100, 0], [100, 100], [50, 30], [0, 100], [0, 0]]  # an arrow head
    assert geometry("selfIntersections", concave) == []
    # Every pair of neighbouring edges shares a vertex; none of them is reported.
    assert geometry("selfIntersections", [[0, 0], [10, 0], [10, 10], [0, 0]]) == []
    assert geometry("selfIntersections", [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]) == []
    # Collinear neighbours going on straight are fine; folding back is a spike.
    assert geometry("selfIntersections", [[0, 0], [5, 0], [10, 0], [10, 10], [0, 10], [0, 0]]) == []
    spike = geometry("selfIntersections", [[0, 0], [20, 0], [10, 0], [10, 10], [0, 10], [0, 0]])
    assert spike and spike[0]["edges"] == [0, 1] and spike[0]["point"] == [10, 0]


def test_segment_intersection_crossing_touching_and_apart(geometry):
    assert geometry("segmentIntersection", [0, 0], [10, 10], [0, 10], [10, 0]) == [5, 5]
    assert geometry("segmentIntersection", [0, 0], [10, 0], [5, 0], [5, 10]) == [5, 0]
    assert geometry("segmentIntersection", [0, 0], [10, 0], [0, 1], [10, 1]) is None
    assert geometry("segmentIntersection", [0, 0], [10, 0], [11, 0], [20, 0]) is None


# ---- pixel rounding ----

def test_round_point_to_a_whole_pixel(geometry):
    assert geometry("roundPoint", [10.4, 20.6]) == [10, 21]
    assert geometry("roundPoint", [10.5, 0.49], 1) == [11, 0]
    # A step above a pixel is never used: clicks are never stored coarser than 1 px.
    assert geometry("roundPoint", [10.4, 20.6], 4) == [10, 21]


def test_round_point_to_a_quarter_pixel(geometry):
    assert geometry("roundPoint", [10.13, 20.38], 0.25) == [10.25, 20.5]
    assert geometry("roundPoint", [10.12, 20.37], 0.25) == [10, 20.25]
    assert geometry("roundPoint", [0.3, 0.7], 0.1) == [0.3, 0.7]  # no float noise (0.30000000000000004)


def test_round_point_never_answers_negative_zero(geometry):
    assert geometry("roundPoint", [-0.4, -0.1]) == [0, 0]
    assert geometry("roundPoint", [-0.1, -0.05], 0.25) == [0, 0]
    assert geometry("roundPoint", [-0.6, -1.4]) == [-1, -1]


# ---- boxes, areas, bounds ----

def test_box_ring_is_the_same_closed_ring_whichever_way_it_was_dragged(geometry):
    expected = [[10, 20], [110, 20], [110, 70], [10, 70], [10, 20]]
    assert geometry("boxRing", [10, 20], [110, 70]) == expected
    assert geometry("boxRing", [110, 70], [10, 20]) == expected
    assert geometry("boxRing", [110, 20], [10, 70]) == expected
    assert geometry("ringArea", expected) == 5000
    assert geometry("ringBounds", expected) == [10, 20, 110, 70]


def test_ring_area_whatever_the_orientation(geometry):
    triangle = [[0, 0], [10, 0], [0, 10], [0, 0]]
    assert geometry("ringArea", triangle) == 50
    assert geometry("ringArea", list(reversed(triangle))) == 50
    assert geometry("ringArea", [[0, 0], [100, 0], [100, 100], [50, 30], [0, 100], [0, 0]]) == 10000 - 3500
    assert geometry("ringArea", [[0, 0], [5, 0], [10, 0], [0, 0]]) == 0


def test_point_in_ring_and_distance_to_segment(geometry):
    concave = [[0, 0], [100, 0], [100, 100], [50, 30], [0, 100], [0, 0]]
    assert geometry("pointInRing", [50, 10], concave) is True
    assert geometry("pointInRing", [50, 60], concave) is False
    assert geometry("distanceToSegment", [5, 5], [0, 0], [10, 0]) == 5
    assert geometry("distanceToSegment", [13, 4], [0, 0], [10, 0]) == 5
