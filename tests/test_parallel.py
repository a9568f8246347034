"""map_ordered: results in input order, a lone item mapped without forking a pool."""

from __future__ import annotations

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
