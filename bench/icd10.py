"""ICD-10-CM index: the first call's build time and per-query search time (``python -m bench.icd10``).

Not part of ``python -m bench``: it needs no database or server and prints its figures. The first call
reads the shipped code set (app/reference/data/icd10cm.tsv.gz, written by tools/build_icd10.py) and builds
the search index; run it in a fresh process so that is what is measured. Resident memory is read from
/proc (Linux).
"""

from __future__ import annotations

import gzip
import statistics
import time
from pathlib import Path

QUERIES = [
    "F33",
    "F33.1",
    "f331",
    "F4",
    "S72",
    "recurrent depression",
    "generalized anxiety",
    "ptsd",
    "adhd",
    "depress",
    "anxiety disorder",
    "post traumatic stress",
    "bipolar current episode",
    "insomnia",
    "alcohol dependence",
    "opioid use disorder mild",
    "panic",
    "type 2 diabetes",
    "diso",
    "fracture femur",
]


def _rss_mb() -> int:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) // 1024


def main() -> None:
    from app.reference import icd10

    before = _rss_mb()
    started = time.perf_counter()
    icd10.lookup("F33.1")
    first = time.perf_counter() - started
    with gzip.open(icd10.DATA_FILE, "rt", encoding="utf-8") as data:
        print(data.readline().strip())
    print(f"first call (load + index build): {first:.2f} s, resident memory {before} -> {_rss_mb()} MB")
    timings = []
    for _ in range(20):
        for q in QUERIES:
            t = time.perf_counter()
            icd10.search(q)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95)]
    print(
        f"search over {len(QUERIES)} queries x 20: median {statistics.median(timings):.3f} ms, "
        f"p95 {p95:.3f} ms, max {timings[-1]:.3f} ms"
    )
    t = time.perf_counter()
    for _ in range(1000):
        icd10.lookup("f331")
    print(f"lookup: {(time.perf_counter() - t) * 1000:.4f} us each")


if __name__ == "__main__":
    main()
