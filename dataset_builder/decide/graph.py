"""Connected components, for near-duplicate clusters and split groups.

Min-label propagation: every node starts as its own label, each round every edge pulls
both ends down to the smaller label, then labels jump to their label's label. It needs
only vectorised passes over the edge list (the same algorithm runs distributed as joins)
and ends with each node labelled by the smallest node index in its component, so the
result does not depend on edge order.
"""

from __future__ import annotations

import numpy as np


def connected_components(n: int, pairs: np.ndarray) -> np.ndarray:
    """Component label of each of `n` nodes, given edges as an (m, 2) array of indices."""
    labels = np.arange(n, dtype=np.int64)
    if len(pairs) == 0:
        return labels
    left, right = pairs[:, 0], pairs[:, 1]
    while True:
        lowest = np.minimum(labels[left], labels[right])
        updated = labels.copy()
        np.minimum.at(updated, left, lowest)
        np.minimum.at(updated, right, lowest)
        updated = updated[updated]
        if np.array_equal(updated, labels):
            return labels
        labels = updated
