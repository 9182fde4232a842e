"""Run every benchmark; results go to bench/results/*.json (see docs/benchmarks.md)."""

from bench import (
    active,
    ingest,
    labeling,
    labeling_agnews,
    labeling_imbalanced,
    request_path,
    sql,
    tracking,
)

if __name__ == "__main__":
    sql.main()
    ingest.main()
    tracking.main()
    request_path.main()
    labeling.main()
    labeling_agnews.main()
    labeling_imbalanced.main()
    active.main()
