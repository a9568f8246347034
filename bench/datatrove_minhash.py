"""datatrove's 4-stage MinHash deduplication on a JSONL corpus, one process, timed.

    python bench/datatrove_minhash.py CORPUS.jsonl WORKDIR

Run by bench/near_dup_overlap.py --datatrove-python PYTHON with a Python that has datatrove
(its own environment: datatrove is never a dependency of this project). Reads records
{"id", "text", "group"} (`group`: the original a copy was made from, itself for an
original), runs signatures -> buckets -> clusters -> filter with datatrove's defaults
(14 buckets of 8 hashes, 5-grams), one task at a time in this process, and prints one JSON
line: seconds, documents removed, and removed documents whose group has no other member
(distinct documents wrongly removed).
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from collections import Counter
from pathlib import Path

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup import (
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupFilter,
    MinhashDedupSignature,
)
from datatrove.pipeline.dedup.minhash import MinhashConfig
from datatrove.pipeline.readers import JsonlReader
from datatrove.pipeline.writers import JsonlWriter


def main() -> None:
    corpus, work = Path(sys.argv[1]), Path(sys.argv[2])
    config = MinhashConfig()
    logs = str(work / "logs")

    def reader() -> JsonlReader:
        return JsonlReader(str(corpus.parent), glob_pattern=corpus.name)

    def one_process(step: int, pipeline: list, tasks: int = 1) -> LocalPipelineExecutor:
        """A stage run in this process alone (workers=1), as the comparison is one process each."""
        return LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{logs}/{step}")

    signatures, buckets, remove = (str(work / name) for name in ("signatures", "buckets", "remove"))
    stages = [
        one_process(1, [reader(), MinhashDedupSignature(output_folder=signatures, config=config)]),
        one_process(
            2,
            [MinhashDedupBuckets(input_folder=signatures, output_folder=buckets, config=config)],
            tasks=config.num_buckets,
        ),
        one_process(3, [MinhashDedupCluster(input_folder=buckets, output_folder=remove, config=config)]),
        one_process(
            4,
            [
                reader(),
                MinhashDedupFilter(input_folder=remove, exclusion_writer=JsonlWriter(str(work / "removed"))),
                JsonlWriter(str(work / "kept")),
            ],
        ),
    ]
    started = time.perf_counter()
    for stage in stages:
        stage.run()
    seconds = time.perf_counter() - started
    groups = Counter(json.loads(line)["group"] for line in corpus.open(encoding="utf-8"))
    removed = []
    for path in sorted((work / "removed").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            removed += [json.loads(line) for line in lines]
    false = sum(groups[doc["metadata"]["group"]] == 1 for doc in removed)
    print(json.dumps({"seconds": seconds, "removed": len(removed), "false_removals": false}))


if __name__ == "__main__":
    main()
