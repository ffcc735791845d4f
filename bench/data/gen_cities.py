#!/usr/bin/env python3
"""gen_cities.py - writes cities FIRST..LAST (inclusive) of Izumo's size for bench/scale/cities.sh:
each city is a copy of config/demo's roadmap (its measures, initiatives, milestones) with every
code prefixed by the city ("c17-1-1-01"), one survey of its own (code "c17", as of 2024-03-31,
as the demo's survey 2023) and the progress rows of the demo's survey 2023 for its initiatives.
Departments keep their names (a department is a name; cities share the departments table).
The output is the five import files (measures, initiatives, milestones, surveys, progress).

Usage: bench/data/gen_cities.py DEMO_DIR OUTDIR FIRST LAST"""
import csv
import os
import sys


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def main():
    if len(sys.argv) != 5:
        sys.exit("usage: gen_cities.py DEMO_DIR OUTDIR FIRST LAST")
    demo, out = sys.argv[1], sys.argv[2]
    first, last = int(sys.argv[3]), int(sys.argv[4])
    if first < 1 or last < first:
        sys.exit("gen_cities.py: need 1 <= FIRST <= LAST, got %d..%d" % (first, last))
    os.makedirs(out, exist_ok=True)
    mh, measures = read(os.path.join(demo, "measures.csv"))
    ih, initiatives = read(os.path.join(demo, "initiatives.csv"))
    lh, milestones = read(os.path.join(demo, "milestones.csv"))
    ph, progress = read(os.path.join(demo, "progress.csv"))
    # the demo's later survey, as the city's only one
    progress = [r for r in progress if r[ph.index("survey_code")] == "2023"]
    files = {}
    for name, header in (("measures", mh), ("initiatives", ih), ("milestones", lh),
                         ("surveys", ["code", "as_of", "label"]), ("progress", ph)):
        fh = open(os.path.join(out, name + ".csv"), "w", encoding="utf-8", newline="")
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        files[name] = (fh, w)
    for k in range(first, last + 1):
        p = "c%d-" % k
        w = files["measures"][1]
        for r in measures:
            w.writerow([p + r[0]] + r[1:])
        w = files["initiatives"][1]
        mi = ih.index("measure_code")
        for r in initiatives:
            r = list(r)
            r[0] = p + r[0]
            r[mi] = p + r[mi]
            w.writerow(r)
        w = files["milestones"][1]
        for r in milestones:
            w.writerow([p + r[0]] + r[1:])
        files["surveys"][1].writerow(["c%d" % k, "2024-03-31", "都市%d 令和5年度末" % k])
        w = files["progress"][1]
        si = ph.index("survey_code")
        for r in progress:
            r = list(r)
            r[0] = p + r[0]
            r[si] = "c%d" % k
            w.writerow(r)
    for fh, _ in files.values():
        fh.close()


if __name__ == "__main__":
    main()
