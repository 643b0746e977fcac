"""One table as HTML that a reader can sort: a click on a header orders the rows by that column (a few
lines of plain JavaScript, :data:`SORT_SCRIPT`, inline; with scripts off the table reads the same, unsorted).

A cell ``estimate [low, high]`` is drawn as the estimate with its interval below it, on one line of its
own, so that no interval wraps; its text (``textContent``) stays the printed cell. A numeric cell carries
its number in ``data-sort``; a column sorts by those numbers, best first, and cells without one go last.
"""

from __future__ import annotations

from html import escape

#: the class of every table the script makes sortable.
SORTABLE = "sortable"

#: sorts ``table.sortable`` by the clicked header: numbers from ``data-sort`` (highest first), else the text
#: (A to Z); a second click on a column already in that order reverses it; cells without a value go last.
SORT_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  heads.forEach(function (th, col) {
    th.tabIndex = 0;
    th.classList.add("sorts");
    th.title = (th.title ? th.title + " " : "") + "(click to sort)";
    function key(row) {
      var cell = row.cells[col], value = cell.getAttribute("data-sort");
      return value !== null ? parseFloat(value) : cell.textContent.trim();
    }
    function sort() {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var numeric = rows.some(function (r) { return typeof key(r) === "number"; });
      function has(r) { return numeric ? typeof key(r) === "number" : key(r) !== ""; }
      function order(sign) {
        return rows.slice().sort(function (a, b) {
          if (has(a) !== has(b)) { return has(a) ? -1 : 1; }
          if (!has(a)) { return 0; }
          var x = key(a), y = key(b);
          return sign * (numeric ? y - x : String(x).localeCompare(String(y)));
        });
      }
      var sorted = order(1), same = sorted.every(function (r, i) { return r === rows[i]; });
      if (same) { sorted = order(-1); }
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", (same ? -1 : 1) * (numeric ? -1 : 1) > 0 ? "ascending" : "descending");
      sorted.forEach(function (r) { body.appendChild(r); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); } });
  });
});
"""


def html_table(header: list[str], rows: list[list[str]], css: str = "") -> str:
    """``<table class="sortable …">`` of printed cells, inside a ``<div class="wide">``."""
    classes = " ".join(filter(None, [SORTABLE, css]))
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "\n".join("<tr>" + "".join(cell_html(c) for c in row) + "</tr>" for row in rows)
    return (f'<div class="wide"><table class="{classes}">\n<thead><tr>{head}</tr></thead>\n'
            f"<tbody>\n{body}\n</tbody>\n</table></div>")


def cell_html(text: str, title: str = "", css: str = "", mark: str = "") -> str:
    """A ``<td>``: an interval cell as its estimate and interval (:func:`cell_content`), with its number to
    sort by; ``mark`` goes before the estimate."""
    attributes = ""
    value = sort_value(text)
    if value is not None:
        attributes += f' data-sort="{value}"'
    if title:
        attributes += f' title="{escape(title)}"'
    if css:
        attributes += f' class="{css}"'
    return f"<td{attributes}>{escape(mark)}{cell_content(text)}</td>"


def cell_content(text: str) -> str:
    """``0.43 [0.35, 0.51]`` -> the estimate, then the interval in a block of its own; other text as it is."""
    estimate, bracket, interval = text.partition(" [")
    if not bracket:
        return escape(text)
    return f'<span class="est">{escape(estimate)}</span> <span class="ci">[{escape(interval)}</span>'


def sort_value(text: str) -> str | None:
    """The number a cell sorts by: its leading number (an estimate, a count, a p-value's bound), else None."""
    token = text.split(" ", 1)[0].lstrip("≤<")
    try:
        float(token)
    except ValueError:
        return None
    return token
