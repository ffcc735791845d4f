#!/usr/bin/env python3
"""gen.py - writes a large deterministic data set for bench/data/run.sh: N initiatives (default
100,000) over N/100 measures, two milestones each, one survey and a progress row for each.

Usage: bench/data/gen.py OUTDIR [N]"""
import csv
import os
import random
import sys


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(7)
    deps = ["情報政策課", "市民課", "商工振興課", "観光課", "政策企画課", "総務課", "人事課", "財政課"]
    nmeasures = max(1, n // 100)

    def writer(name):
        fh = open(os.path.join(out, name), "w", encoding="utf-8", newline="")
        return fh, csv.writer(fh, lineterminator="\n")

    fh, w = writer("measures.csv")
    w.writerow(["code", "title", "area"])
    for m in range(nmeasures):
        w.writerow(["B-%d" % m, "ベンチマーク施策%d" % m, "地域社会のデジタル化"])
    fh.close()
    fi, wi = writer("initiatives.csv")
    fm, wm = writer("milestones.csv")
    fp, wp = writer("progress.csv")
    wi.writerow(["code", "measure_code", "title", "departments", "start_date", "due_date"])
    wm.writerow(["initiative_code", "fiscal_year", "planned_progress", "phase"])
    wp.writerow(["initiative_code", "survey_code", "actual_progress", "budget_planned",
                 "budget_spent", "expected_benefit", "plan_decided", "context_changed",
                 "reported_reason", "comment"])
    for i in range(n):
        code = "B-%d-%d" % (i % nmeasures, i)
        d = rnd.sample(deps, rnd.choice([1, 1, 2]))
        wi.writerow([code, "B-%d" % (i % nmeasures), "ベンチマーク取組%d" % i, "、".join(d),
                     "2022-04-01", "2026-03-31"])
        wm.writerow([code, 2023, "0.5", "実施"])
        wm.writerow([code, 2025, "1", "完了"])
        spent = rnd.randrange(0, 5000) * 1000
        wp.writerow([code, "B", "%d%%" % rnd.randrange(0, 101), "{:,}".format(spent + 1000),
                     "{:,}".format(spent), "{:,}".format(rnd.randrange(0, 10000) * 1000),
                     rnd.choice(["はい", "いいえ"]), rnd.choice(["true", "false"]), "", ""])
    for f in (fi, fm, fp):
        f.close()
    fh, w = writer("surveys.csv")
    w.writerow(["code", "as_of", "label"])
    w.writerow(["B", "2024-03-31", "ベンチマーク調査"])
    fh.close()


if __name__ == "__main__":
    main()
