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

    stages = [
        LocalPipelineExecutor(
            pipeline=[reader(), MinhashDedupSignature(output_folder=str(work / "signatures"), config=config)],
            tasks=1,
            workers=1,
            logging_dir=f"{logs}/1",
        ),
        LocalPipelineExecutor(
            pipeline=[
                MinhashDedupBuckets(
                    input_folder=str(work / "signatures"), output_folder=str(work / "buckets"), config=config
                )
            ],
            tasks=config.num_buckets,
            workers=1,
            logging_dir=f"{logs}/2",
        ),
        LocalPipelineExecutor(
            pipeline=[
                MinhashDedupCluster(
                    input_folder=str(work / "buckets"), output_folder=str(work / "remove"), config=config
                )
            ],
            tasks=1,
            workers=1,
            logging_dir=f"{logs}/3",
        ),
        LocalPipelineExecutor(
            pipeline=[
                reader(),
                MinhashDedupFilter(
                    input_folder=str(work / "remove"), exclusion_writer=JsonlWriter(str(work / "removed"))
                ),
                JsonlWriter(str(work / "kept")),
            ],
            tasks=1,
            workers=1,
            logging_dir=f"{logs}/4",
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
