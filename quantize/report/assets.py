"""The fixed parts of the HTML batch report: style sheet, script, page skeleton.

:mod:`quantize.report.page` fills ``TEMPLATE`` (``str.format`` fields: title,
style, made, summary, failures, filter, heads, rows, script). The script makes the text of
each ``th[data-key]`` a button, and sorts the rows of ``table#results`` by a
``data-<key>`` attribute when it is pressed (clicked, or Enter or Space from the keyboard),
or on load from ``#sort=<key>`` / ``#sort=-<key>`` in the address, which a
press sets; rows without the attribute stay last. It shows the status filter
(``div.filter``, hidden without the script): pressing one of its buttons shows only
the rows with the class in its ``data-show`` (all rows for ``""``), and puts
``show=<status>`` in the address, from which the page opens so filtered; a failure
listed at the top that the filter hides is shown again when its link is followed, and the
address keeps the sort and the filter after the jump.
It also plays the animations a row's thumbnails link in ``data-play`` (unless the
browser asks for reduced motion), and the row's ``button.play`` pauses and plays them.
"""

#: Longest side of a thumbnail on the page, in CSS pixels: the limit ``STYLE`` sets.
SHOWN_SIZE = 240

#: Inline style sheet: no web fonts, no external resources. Thumbnails and palette bars lie
#: on a checkerboard, so that transparent pixels show as such. Thumbnails are shown smaller
#: in a window narrower than about 1150 px (about 165 px at 1000 px, 60 px at 790 px and
#: below, keeping their shape; a reduced still at the nearest pixel, so with its palette
#: colours only), sized from the width of the table's box (``cqi``), which the page's
#: margins and scroll bar do not take, rather than from the window's (``vw``, for a browser
#: without container units), and the columns are narrow enough (a long byte count wraps
#: after its arrow) for either mode's table to fit a window from about 780 px, scroll bars
#: included: the page's and the table box's own, 15 or 17 px wide. The table scrolls in its
#: own box, two margins less than a window high (the small viewport's, on a phone), so that
#: a window narrower than the table scrolls the table sideways, not the whole page; in a box
#: at most 480 px wide (a phone's), which the table cannot fit, the thumbnails are larger
#: instead (102 px in a 360 px window), so that the names and both thumbnails fill the box
#: and the rest scrolls into it sideways. The headings stick to the box's top, whole also
#: when the page is scrolled to its end; above it, a name without spaces (in the title, the
#: command, the failures) breaks anywhere. A row a link jumps to (a failure listed at the
#: top), or a link Tab or Shift+Tab reaches, stops below them. A thumbnail of the middle of
#: a long image (``img.middle``) cuts the animation it plays to that middle. A browser set to
#: a dark colour scheme gets light text on dark backgrounds. Printed, the table is not cut to
#: a window's height (every row is on paper, the headings in their place), the buttons that
#: filter and play are left out, and the palette bars are printed in their colours, which a
#: browser leaves out of a page's backgrounds unless asked; so are they in forced colours
#: (Windows' high contrast), which would draw them as empty boxes. The filter's buttons have
#: borders at least 3 times as bright as the page and the button, or the reverse (WCAG
#: 1.4.11); the one pressed is filled and bold, its border as thin as the others', unlike the
#: 2 px focus ring.
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#222;background:#fafafa}
h1{font-size:1.4em;margin:0 0 .2em;overflow-wrap:anywhere}h2{font-size:1.1em;margin:.6em 0 .2em}
.summary{color:#444}.summary span{white-space:nowrap}
.made{color:#666;font-size:.9em;overflow-wrap:anywhere}
.made .arg{display:inline-block;max-width:100%}
.failures{background:#fdecea;border:1px solid #f5c2c0;padding:.2em 1em;overflow-wrap:anywhere}
.removed{overflow-wrap:anywhere}
.scroll{overflow:auto;max-height:calc(100vh - 2em);max-height:calc(100svh - 2em);
container-type:inline-size;scroll-padding-top:5em}
table{border-collapse:collapse;background:#fff}
th,td{border-bottom:1px solid #ddd;padding:6px 5px;vertical-align:middle;text-align:left}
thead th{background:#eee;position:sticky;top:0;font-size:.9em}
th[data-key] button{font:inherit;color:inherit;background:none;border:0;padding:0;text-align:left;
cursor:pointer;text-decoration:underline dotted}
th[data-key] button:focus-visible{outline:2px solid #1a5fb4;outline-offset:2px}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.thumb img{display:block;max-width:clamp(60px,50vw - 340px,240px);
max-width:clamp(60px,50cqi - 315px,240px);max-height:240px;height:auto}
@container (max-width:480px){td.thumb img{max-width:min(50cqi - 64px,240px)}}
img.enlarged{image-rendering:pixelated}img.nearest{image-rendering:pixelated}img.middle{object-fit:cover}
td.thumb img,.bar{background:repeating-conic-gradient(#ccc 0 25%,#fff 0 50%) 0 0/10px 10px}
th.name{min-width:7em;max-width:16em;overflow-wrap:anywhere;font-weight:normal}.out{color:#666;font-size:.9em}
.note .flag{white-space:nowrap}
td.palette{min-width:5em}td.num.bytes{white-space:normal}td.bytes span{white-space:nowrap}
.bar{display:flex;height:28px;width:100%;border:1px solid #999}
.swatch{display:block;height:100%}.bar,.swatch{forced-color-adjust:none}
tr.failed,tr.folder-failed{background:#fdecea}td.reason{color:#a01010}
tr.file{scroll-margin-top:6em}
.note{color:#666;font-size:.85em}.status{font-weight:bold;color:#555}.missing{color:#666}
button.play{font:inherit;margin-left:.3em;padding:0 .6em}
.filter{margin:.6em 0}.filter button{font:inherit;color:inherit;background:#fff;margin-left:.4em;
padding:.1em .7em;border:1px solid #767676;border-radius:1em;cursor:pointer}
.filter button[aria-pressed=true]{background:#dbe7f7;border-color:#1a5fb4;font-weight:bold}
.filter button:focus-visible{outline:2px solid #1a5fb4;outline-offset:2px}
.unseen{position:absolute;width:1px;height:1px;overflow:hidden;clip-path:inset(50%);
white-space:nowrap}
@media (prefers-color-scheme:dark){
body{color:#e6e6e6;background:#181818}a{color:#8ab4f8}a:visited{color:#c9a0ff}
.summary,.status{color:#c8c8c8}.made,.out,.note,.missing{color:#a8a8a8}
table{background:#1f1f1f}thead th{background:#2b2b2b}th,td{border-bottom-color:#3a3a3a}
.failures,tr.failed,tr.folder-failed{background:#3b1f1f}.failures{border-color:#7a3333}
td.reason{color:#ff9d9d}
th[data-key] button:focus-visible{outline-color:#8ab4f8}
.filter button{background:#2b2b2b;border-color:#8a8a8a}
.filter button[aria-pressed=true]{background:#26384f;border-color:#8ab4f8}
.filter button:focus-visible{outline-color:#8ab4f8}
}
@media print{
.scroll{overflow:visible;max-height:none}th{position:static}.filter,button.play{display:none}
.bar,.swatch{print-color-adjust:exact;-webkit-print-color-adjust:exact}
}
"""

#: Vanilla JavaScript, run once at the end of the body.
SCRIPT = """
(function () {
  var table = document.getElementById("results");
  var body = table.tBodies[0];
  function value(row, key) {
    var v = row.getAttribute("data-" + key);
    if (v === null) return null;
    return parseFloat(v);  // numbers; a name's is its place in the names' natural order
  }
  var arrows = {ascending: " \u25b2", descending: " \u25bc", none: ""};
  function sortBy(key, descending) {
    var rows = Array.prototype.slice.call(body.querySelectorAll("tr.file"));
    rows.sort(function (a, b) {
      var x = value(a, key), y = value(b, key);
      if (x === null || y === null) return (x === null) - (y === null);
      var c = x < y ? -1 : x > y ? 1 : 0;
      return descending ? -c : c;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[data-key]").forEach(function (th) {
      var sort = th.getAttribute("data-key") !== key ? "none"
                 : descending ? "descending" : "ascending";
      th.setAttribute("aria-sort", sort);  // the arrow, hidden from a screen reader, says it too
      th.querySelector(".arrow").textContent = arrows[sort];
    });
  }
  // The sort and the filter are kept in the address: a reload (of the page a rerun
  // rewrote) or a copied link keeps them.
  var sorted = "", shown = "";
  function remember() {
    var parts = [];
    if (sorted) parts.push("sort=" + sorted);
    if (shown) parts.push("show=" + shown);
    history.replaceState(null, "", "#" + parts.join("&"));
  }
  // Each sortable heading's text made a button: reached with Tab, pressed with Enter or
  // Space. Without the script the headings are text, as they cannot sort.
  table.querySelectorAll("th[data-key]").forEach(function (th) {
    var button = document.createElement("button");
    button.type = "button";
    button.title = "sort";
    button.appendChild(th.firstChild);
    th.insertBefore(button, th.firstChild);
    button.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      var descending = th.getAttribute("aria-sort") === "ascending";
      sortBy(key, descending);
      sorted = (descending ? "-" : "") + key;
      remember();
    });
  });
  var m = /sort=(-?)([a-z_]+)/.exec(location.hash);
  if (m) { sortBy(m[2], m[1] === "-"); sorted = m[1] + m[2]; }

  // The status filter: only the rows of the status pressed, or all ("").
  var filter = document.querySelector(".filter");
  var choices = filter ? Array.prototype.slice.call(filter.querySelectorAll("button")) : [];
  function show(status) {
    if (!choices.some(function (b) { return b.getAttribute("data-show") === status; })) {
      status = "";
    }
    shown = status;
    body.querySelectorAll("tr.file").forEach(function (row) {
      row.hidden = status !== "" && !row.classList.contains(status);
    });
    choices.forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.getAttribute("data-show") === status));
    });
  }
  choices.forEach(function (button) {
    button.addEventListener("click", function () {
      show(button.getAttribute("data-show"));
      remember();
    });
  });
  if (filter) {
    filter.hidden = false;
    var f = /show=([a-z-]+)/.exec(location.hash);
    if (f) show(f[1]);
  }
  // a failure listed at the top links its row: shown again if the filter hid it; the jump
  // puts "#file-2" (say) in the address, which then says the sort and the filter again
  document.querySelectorAll(".failures a").forEach(function (a) {
    a.addEventListener("click", function () {
      var row = document.getElementById(a.getAttribute("href").slice(1));
      if (row && row.hidden) { show(""); }
      if (sorted || shown) setTimeout(remember, 0);
    });
  });

  // A row whose thumbnails are animations: each shows its first frame, embedded, and links
  // its file in data-play; the row's button shows the files (playing) or the first frames.
  // They play unless the browser asks for reduced motion, and stop when it comes to ask.
  var calm = window.matchMedia ? matchMedia("(prefers-reduced-motion: reduce)") : null;
  var players = [];
  body.querySelectorAll("tr.file").forEach(function (row) {
    var button = row.querySelector("button.play");
    var images = Array.prototype.slice.call(row.querySelectorAll("img[data-play]"));
    if (!button || !images.length) return;
    var stills = images.map(function (img) { return img.src; });
    var shown = row.querySelector(".shown");
    var playing = false;
    var file = row.cells[0].firstChild.textContent;  // its name: the button says which it plays
    function play(on) {
      images.forEach(function (img, i) {
        if (img.hasAttribute("data-play")) img.src = on ? img.getAttribute("data-play") : stills[i];
      });
      playing = on && !button.hidden;
      button.textContent = playing ? "pause" : "play";
      button.setAttribute("aria-label", button.textContent + " " + file);
      shown.textContent = playing ? shown.getAttribute("data-playing") : "(first shown)";
    }
    images.forEach(function (img, i) {
      img.addEventListener("error", function () {  // moved or removed: the first frame stays
        if (!img.hasAttribute("data-play")) return;
        img.removeAttribute("data-play");
        img.src = stills[i];
        if (!row.querySelector("img[data-play]")) { button.hidden = true; play(false); }
      });
    });
    button.addEventListener("click", function () { play(!playing); });
    button.hidden = false;
    players.push(play);
    play(!(calm && calm.matches));
  });
  if (calm && calm.addEventListener) calm.addEventListener("change", function () {
    if (calm.matches) players.forEach(function (play) { play(false); });
  });
})();
"""

#: The page; every field but ``style`` and ``script`` is escaped by the caller. Its content is
#: the page's ``main`` landmark; the table's caption, which names it and its scrolling box to a
#: screen reader, is not drawn (``.unseen``).
TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<main>
<h1>{title}</h1>
{made}
{summary}
{failures}
{filter}
<div class="scroll" tabindex="0" role="region" aria-labelledby="results-caption">
<table id="results">
<caption id="results-caption" class="unseen">Results, one row per file</caption>
<thead><tr>{heads}</tr></thead>
<tbody>
{rows}
</tbody>
</table>
</div>
</main>
<script>{script}</script>
</body>
</html>
"""
