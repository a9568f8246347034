"""map_ordered: results in input order, a lone item mapped without forking a pool."""

from __future__ import annotations

import functools
import os

from dataset_builder.engines.parallel import map_ordered


def pid_and_square(n: int) -> tuple[int, int]:
    return os.getpid(), n * n


def test_a_lone_item_is_mapped_in_this_process() -> None:
    assert list(map_ordered(pid_and_square, iter([7]), workers=2)) == [(os.getpid(), 49)]
    assert list(map_ordered(pid_and_square, [], workers=2)) == []


def test_more_items_go_to_the_workers_in_order() -> None:
    results = list(map_ordered(pid_and_square, iter(range(20)), workers=2))
    assert [square for _, square in results] == [n * n for n in range(20)]
    assert os.getpid() not in {pid for pid, _ in results}


def written_by_pid(folder: str) -> None:
    """A finalizer: leaves a file named by the process that ran it."""
    with open(os.path.join(folder, str(os.getpid())), "w") as out:
        out.write("closed")


def test_each_process_that_mapped_runs_the_finalizer_before_the_iterator_ends(tmp_path) -> None:
    finalizer = functools.partial(written_by_pid, str(tmp_path))
    for items, workers in ((range(20), 2), ([3], 2), (range(5), 1)):
        for done in tmp_path.iterdir():
            done.unlink()
        results = map_ordered(pid_and_square, iter(items), workers=workers, finalizer=finalizer)
        mapped = {pid for pid, _ in results}  # the iterator has ended here
        assert {int(done.name) for done in tmp_path.iterdir()} == mapped
        assert all(done.read_text() == "closed" for done in tmp_path.iterdir())
