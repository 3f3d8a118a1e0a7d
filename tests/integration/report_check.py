#!/usr/bin/python3
"""Checks of the national report (tests/integration/test_report.sh).

    report_check.py figures REPORT.html DIR
        every figure cell of the report (data-span / data-target /
        data-month / data-view / data-col cells) equals the CSV / JSON
        exports in DIR (exp-<span>.csv, exp-<breakdown>.csv and, for the
        other collections, exp-<COLLECTION>-*.csv; exp-targets.csv;
        programme-<COLLECTION>.csv, the collection's programme view;
        exp-sub-<month>.json, exp-checkpoint.json); with a
        programme-<COLLECTION>.csv the collection's section must be there
    report_check.py standalone REPORT.html
        no <script>, no <link>, no external URL in any src/href/url() of
        the page or of the SVG charts it embeds
    report_check.py probe REPORT.html OUT.html
        a copy of the page with a script that writes each chart's box
        (page coordinates) into the DOM, for chromium --dump-dom
    report_check.py rendered SCREENSHOT.png PROBE-DOM.html
        inside each chart's box the screenshot is not blank: enough
        non-white pixels, and dark ones (lines, text)
    report_check.py netlog NETLOG.json PAGE_URL
        the page requested nothing but itself and data: URIs

Standard library only (the PNG is decoded with zlib).
"""

import base64
import csv
import glob
import html.parser
import json
import os
import re
import struct
import sys
import zlib


class Cells(html.parser.HTMLParser):
    """Collects (attributes, text) of every <td> and the <img> charts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.cells, self.imgs, self.tags = [], [], []
        self._cur = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "td":
            self._cur = [a, ""]
        elif tag == "img":
            self.imgs.append(a)

    def handle_endtag(self, tag):
        if tag == "td" and self._cur is not None:
            self.cells.append((self._cur[0], self._cur[1]))
            self._cur = None

    def handle_data(self, data):
        if self._cur is not None:
            self._cur[1] += data


def parse(path):
    p = Cells()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    return p


def load_csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def figures(report, d):
    p = parse(report)
    measures = {}  # (collection, span, group, org, level, measure) -> value
    for path in glob.glob(os.path.join(d, "exp-*.csv")):
        if path.endswith("exp-targets.csv"):
            continue
        stem = os.path.basename(path)[len("exp-"):]
        coll = stem.split("-")[0] if stem.split("-")[0] in ("CYP", "WORKFORCE") else "IAPT"
        for r in load_csv(path):
            start = r["REPORTING_PERIOD_START"]
            y, m = int(start[:4]), int(start[5:7])
            fy = y if m >= 4 else y - 1
            q = ((m + 8) % 12) // 3 + 1
            span = "%04d/%02d-Q%d" % (fy, (fy + 1) % 100, q)
            org = r["ORG_CODE2"] if r["GROUP_TYPE"] == "Provider" else r["ORG_CODE1"]
            measures[(coll, span, r["GROUP_TYPE"], org, r.get("BREAKDOWN_LEVEL", ""),
                      r["MEASURE_ID"])] = r["MEASURE_VALUE_SUPPRESSED"]
    targets = load_csv(os.path.join(d, "exp-targets.csv"))
    subs = {}
    for path in glob.glob(os.path.join(d, "exp-sub-*.json")):
        j = json.load(open(path))
        on_time = sum(1 for s in j["submissions"] if s["current"] and not s["late"])
        subs[j["period"]] = {"expected": j["expected"], "received": j["received"],
                             "on_time": on_time}
    # Programme views: CYP's one row per value, the workforce's
    # region/measure/value/target/progress lines.
    views, wf_lines = {}, {}
    cyp_path = os.path.join(d, "programme-CYP.csv")
    wf_path = os.path.join(d, "programme-WORKFORCE.csv")
    if os.path.exists(cyp_path):
        for r in load_csv(cyp_path):
            views[(r["VIEW"], r["GROUP_TYPE"], r["ORG_CODE"], r["MEASURE"])] = r["VALUE_SUPPRESSED"]
    if os.path.exists(wf_path):
        for r in load_csv(wf_path):
            wf_lines[(r["region"], r["measure"])] = {"value": r["value"], "target": r["target"],
                                                     "progress": r["progress_percent"]}
    seen_views, seen_lines = set(), set()
    checked = bad = absent = 0
    for a, text in p.cells:
        if "data-view" in a:
            key = (a["data-view"], a["data-group"], a["data-org"], a["data-pmeasure"])
            want = views.get(key)
            if a.get("data-collection") != "CYP" or want is None or want != text:
                print("report %s %s = %r, programme view CSV %r" %
                      (a.get("data-collection"), key, text, want))
                bad += 1
            seen_views.add(key)
            checked += 1
        elif "data-col" in a:
            key = (a["data-region"], a["data-pmeasure"])
            want = wf_lines.get(key, {}).get(a["data-col"])
            if a.get("data-collection") != "WORKFORCE" or want is None or \
                    want.rstrip("%") != text.rstrip("%"):
                print("report %s %s %s = %r, programme view CSV %r" %
                      (a.get("data-collection"), key, a["data-col"], text, want))
                bad += 1
            seen_lines.add(key)
            checked += 1
        elif "data-span" in a:
            key = (a.get("data-collection", "IAPT"), a["data-span"], a["data-group"], a["data-org"], a["data-level"],
                   a["data-measure"])
            want = measures.get(key)
            if "data-absent" in a:
                absent += 1
                if want is not None or text != "":
                    print("absent in the report but in the CSV: %s = %r" % (key, want))
                    bad += 1
                continue
            if want is None or want != text:
                print("report %s = %r, CSV %r" % (key, text, want))
                bad += 1
            checked += 1
        elif "data-target" in a:
            continue  # checked by row below
        elif "data-month" in a:
            want = subs.get(a["data-month"], {}).get(a["data-count"])
            if want is None or str(want) != text:
                print("report %s %s = %r, export %r" % (a["data-month"], a["data-count"],
                                                        text, want))
                bad += 1
            checked += 1
    # Targets: the report's rows in order equal the CSV's rows.
    trows = []
    cur = None
    for a, text in p.cells:
        if "data-target" in a:
            if a["data-target"] == "region":
                cur = {}
                trows.append(cur)
            cur[a["data-target"]] = text
    if len(trows) != len(targets):
        print("targets: %d rows in the report, %d in the CSV" % (len(trows), len(targets)))
        bad += 1
    cols = list(targets[0].keys()) if targets else []
    for i, (mine, theirs) in enumerate(zip(trows, targets)):
        want = [theirs[c] for c in cols]
        got = [mine["region"], mine["measure"], mine["value"], mine["target"],
               mine["progress"]]
        if [w.rstrip("%") for w in want] != [g.rstrip("%") for g in got]:
            print("targets row %d: report %r, CSV %r" % (i, got, want))
            bad += 1
        checked += 5
    # The checkpoint named is the hub's.
    cp = json.load(open(os.path.join(d, "exp-checkpoint.json")))
    lines = cp["checkpoint"].split("\n")
    tags = dict((a.get("id"), None) for _, a in p.tags if a.get("id"))
    with open(report, encoding="utf-8") as f:
        page = f.read()
    if ('<span id="checkpoint-size">%d</span>' % cp["tree_size"]) not in page or \
            ('<code id="checkpoint-root">%s</code>' % lines[2]) not in page:
        print("the checkpoint named is not the hub's (size %d root %s)" % (cp["tree_size"],
                                                                          lines[2]))
        bad += 1
    checked += 2
    need = {("IAPT", m) for m in ("M031", "M076", "M192", "M237", "M201", "M198")}
    ids = {a.get("id") for _, a in p.tags}
    if views:
        need |= {("CYP", m) for m in ("C001", "C010", "C011", "C042", "C061", "C063")}
        if "collection-CYP" not in ids:
            print("the CYP collection has data but the report has no CYP section")
            bad += 1
        missing = set(views) - seen_views
        if missing:
            print("CYP programme view rows missing from the report: %s" % sorted(missing))
            bad += 1
    if wf_lines:
        need |= {("WORKFORCE", m) for m in ("W001", "W002", "W005", "W011", "W022", "W030",
                                            "W040", "W041")}
        if "collection-WORKFORCE" not in ids:
            print("the workforce collection has data but the report has no workforce section")
            bad += 1
        # Every month of England's running total against the goal is there
        # (the test's workforce months all lie inside the report's quarters).
        since = {k for k in wf_lines if k[0] == "England" and " trained since " in k[1]}
        if not since or not since <= seen_lines:
            print("months of the trained-against-the-goal line missing from the report: %s" %
                  sorted(since - seen_lines))
            bad += 1
    # The contents list links to sections of the page, one per collection
    # section at least.
    links = [a.get("href", "")[1:] for t, a in p.tags if t == "a" and
             a.get("href", "").startswith("#")]
    broken = [x for x in links if x not in ids]
    if broken or not {"collection-IAPT", "kpis"} <= set(links) or \
            (views and "collection-CYP" not in links) or \
            (wf_lines and "collection-WORKFORCE" not in links):
        print("contents: %d links, broken %s, collection sections %s" %
              (len(links), broken, sorted(x for x in links if x.startswith("collection-"))))
        bad += 1
    seen = {(a.get("data-collection", "IAPT"), a["data-measure"]) for a, _ in p.cells
            if "data-measure" in a}
    if not need <= seen:
        print("measures missing from the report: %s" % sorted(need - seen))
        bad += 1
    if checked < 50:
        print("only %d figures found" % checked)
        bad += 1
    print("%d figures compared (%d groups absent from both), %d differences" %
          (checked, absent, bad))
    return 1 if bad else 0


EXTERNAL = re.compile(r"""(?:src|href|xlink:href)\s*=\s*["']?\s*(?!data:|#)([a-z][a-z0-9+.-]*:|//)|url\(\s*["']?(?!data:|#)""",
                      re.I)


def standalone(report):
    with open(report, encoding="utf-8") as f:
        page = f.read()
    bad = 0
    if re.search(r"<script|<link|<iframe|<object|<embed|@import", page, re.I):
        print("the page has a script, link, frame or import")
        bad += 1
    if EXTERNAL.search(page):
        print("the page refers to an external URL: %r" % EXTERNAL.search(page).group(0))
        bad += 1
    p = parse(report)
    charts = [a for a in p.imgs if a.get("class") == "chart"]
    for a in charts:
        src = a.get("src", "")
        if not src.startswith("data:image/svg+xml;base64,"):
            print("chart %s is not an inline SVG" % a.get("id"))
            bad += 1
            continue
        svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
        if re.search(r"<script|<foreignObject", svg, re.I) or EXTERNAL.search(svg):
            print("chart %s has a script or an external reference" % a.get("id"))
            bad += 1
        if "<svg" not in svg:
            print("chart %s is not SVG" % a.get("id"))
            bad += 1
    if len(charts) < 4:
        print("%d charts, want the four KPI charts" % len(charts))
        bad += 1
    print("%d charts checked" % len(charts))
    return 1 if bad else 0


PROBE = """<script>
window.addEventListener('load', function () {
  var out = [];
  document.querySelectorAll('img.chart').forEach(function (e) {
    var r = e.getBoundingClientRect();
    out.push([e.id, r.left + window.scrollX, r.top + window.scrollY, r.width, r.height,
              e.complete && e.naturalWidth > 0]);
  });
  var p = document.createElement('pre');
  p.id = 'probe-boxes';
  p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
});
</script>
"""


def probe(report, out):
    with open(report, encoding="utf-8") as f:
        page = f.read()
    with open(out, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", PROBE + "</body>"))
    return 0


def read_png(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise ValueError("PNG colour type %d depth %d" % (ctype, depth))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    i = 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(line)
        prev = line
    return w, h, bpp, rows


def rendered(png, dom):
    with open(dom, encoding="utf-8") as f:
        m = re.search(r'<pre id="probe-boxes">(.*?)</pre>', f.read(), re.S)
    if not m:
        print("the probe wrote no boxes")
        return 1
    boxes = json.loads(m.group(1).replace("&quot;", '"'))
    w, h, bpp, rows = read_png(png)
    bad = 0
    for cid, x, y, bw, bh, loaded in boxes:
        x0, y0, x1, y1 = int(x), int(y), int(x + bw), int(y + bh)
        if not loaded or bw < 100 or bh < 50 or y1 > h or x1 > w:
            print("%s: not loaded or outside the screenshot (%d,%d %dx%d; page %dx%d)" %
                  (cid, x0, y0, bw, bh, w, h))
            bad += 1
            continue
        total = ink = dark = 0
        for yy in range(y0, y1, 2):
            row = rows[yy]
            for xx in range(x0, x1, 2):
                r, g, b = row[xx * bpp], row[xx * bpp + 1], row[xx * bpp + 2]
                total += 1
                if r + g + b < 720:
                    ink += 1
                if r + g + b < 200:
                    dark += 1
        share = 100.0 * ink / max(total, 1)
        ok = share > 1.0 and dark > 50
        print("%s: box %dx%d at (%d,%d), %.1f%% ink, %d dark pixels: %s" %
              (cid, bw, bh, x0, y0, share, dark, "drawn" if ok else "BLANK"))
        bad += 0 if ok else 1
    if len(boxes) < 4:
        print("%d charts found, want 4" % len(boxes))
        bad += 1
    return 1 if bad else 0


# Traffic annotations of what a document loads (blink_resource_loader,
# navigation_url_loader): the browser's own background calls carry others.
PAGE_ANNOTATIONS = (101845102, 63171670)


def netlog(path, page):
    """Requests the page made: request objects of the network log with a
    document's traffic annotation, or whose network isolation key has the
    page's file:// site on top. The browser's own background calls (refused
    here by the host-resolver rules anyway) are counted apart."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # The log may be cut short when chromium exits: read its flat objects.
    from_page, own = set(), set()
    for m in re.finditer(r'\{[^{}]*"url"\s*:\s*"([^"]+)"[^{}]*\}', text):
        url = m.group(1)
        if url.startswith(page) or url.startswith("data:"):
            continue
        a = re.search(r'"traffic_annotation"\s*:\s*([0-9]+)', m.group(0))
        (from_page if a and int(a.group(1)) in PAGE_ANNOTATIONS else own).add(url)
    for m in re.finditer(r'"key"\s*:\s*"[^"]*_dk_file:// file:// ([^" ]+)"', text):
        if not m.group(1).startswith(page) and not m.group(1).startswith("data:"):
            from_page.add(m.group(1))
    own -= from_page
    print("requests from the page outside it: %s; the browser's own: %d" %
          (sorted(from_page) or "none", len(own)))
    return 1 if from_page else 0


def main(argv):
    cmds = {"figures": figures, "standalone": standalone, "probe": probe,
            "rendered": rendered, "netlog": netlog}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    return cmds[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
