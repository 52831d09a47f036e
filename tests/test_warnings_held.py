"""quantize's warnings held back in one thread without touching the process's warnings state.

``warnings.catch_warnings`` swaps the filters and ``warnings.showwarning`` that every
thread shares: two blocks overlapping on two threads restore each other's state, and a
warning raised on one thread went into the other's list.
"""

import shutil
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import skimage

from quantize import reduce_colors
from quantize.animation import reduce_animation_file
from quantize.errors import QuantizeWarning, warn_again, warn_caller, warnings_held
from quantize.reduce.budget import quietly

TWO_COLOURS = np.zeros((4, 4, 3), np.uint8)
TWO_COLOURS[:, 2:] = 255


def _state():
    return list(warnings.filters), warnings.showwarning, warnings._showwarnmsg_impl


def _on_two_threads(first, second):
    errors = []

    def run(task):
        try:
            task()
        except BaseException as exc:  # noqa: BLE001  (raised in the test below)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(task,)) for task in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]


def test_overlapping_holds_on_two_threads_leave_the_process_state_as_it_was():
    # A enters, B enters, A leaves, B leaves: catch_warnings put A's state back last.
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    before = _state()

    def first():
        def make():
            a_in.set()
            b_in.wait(10)
        quietly(make)
        a_out.set()

    def second():
        def make():
            a_in.wait(10)
            b_in.set()
            a_out.wait(10)
        quietly(make)

    _on_two_threads(first, second)
    assert _state() == before


def test_a_warning_held_on_one_thread_is_given_on_another_at_the_same_time():
    held_in, given = threading.Event(), threading.Event()
    caught = {}

    def holding():
        def make():
            warn_caller("held here", QuantizeWarning)
            held_in.set()
            given.wait(10)
        caught["held"] = quietly(make)[1]

    def giving():
        held_in.wait(10)
        reduce_colors(TWO_COLOURS, 4, seed=0)  # FewerColorsWarning: 2 colours only
        given.set()

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        _on_two_threads(holding, giving)
    assert [str(w.message) for w in caught["held"]] == ["held here"]
    assert [w.category.__name__ for w in seen] == ["FewerColorsWarning"]


def test_reducing_animations_to_a_budget_on_threads_leaves_the_warnings_state(tmp_path):
    src = tmp_path / "anim.gif"
    shutil.copyfile(Path(skimage.data.__file__).parent / "no_time_for_that_tiny.gif", src)
    before = _state()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda i: reduce_animation_file(src, tmp_path / f"{i}.gif",
                                                          max_bytes=6000, force=True),
                          range(8)))
    assert _state() == before
    # each call gives its one warning, of the k it kept: none is lost or doubled
    assert [w.category.__name__ for w in seen] == ["FewerColorsWarning"] * 8


@pytest.mark.parametrize(("categories", "given", "held"), [
    ((Warning,), (), ["QuantizeWarning", "UserWarning"]),
    ((QuantizeWarning,), (), ["QuantizeWarning"]),
    ((Warning,), (QuantizeWarning,), ["UserWarning"]),
])
def test_a_hold_takes_its_categories_but_those_given(categories, given, held):
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with warnings_held(categories, given=given) as caught:
            warn_caller("q", QuantizeWarning)
            warn_caller("u", UserWarning)
    assert [w.category.__name__ for w in caught] == held
    assert len(seen) == 2 - len(held)


def test_a_held_warning_names_the_line_a_given_one_would():
    with warnings_held() as caught:
        warn_caller("here", QuantizeWarning)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warn_again(caught)
    assert (seen[0].filename, seen[0].lineno) == (__file__, caught[0].lineno)
    assert seen[0].lineno == test_a_held_warning_names_the_line_a_given_one_would.__code__\
        .co_firstlineno + 2


def test_other_libraries_warnings_are_not_held():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with warnings_held() as caught:
            warnings.warn("Pillow's", UserWarning, stacklevel=1)
    assert caught == [] and [str(w.message) for w in seen] == ["Pillow's"]
