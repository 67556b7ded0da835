/* The report's time view in the graph: an option "mean <group_by>" in the
 * "Colour by" menu that colours each concept by the mean period of its
 * mentions, from early (purple) to late (yellow), as VOSviewer's overlay
 * does. Inlined after app.js, only when graph.group_by is set and the group
 * values are numbers; app.js exposes the graph as window.reportGraph.
 * Text goes into the page through textContent only. */
(function () {
  "use strict";
  var TIME = JSON.parse(document.getElementById("time-data").textContent);
  var cy = window.reportGraph, select = document.getElementById("colour-by");
  if (!cy || !select || !TIME.range) return;
  var lo = TIME.range[0], hi = TIME.range[1];
  // viridis at five stops
  var STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];

  function colourAt(t) {
    t = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
    var i = Math.min(STOPS.length - 2, Math.floor(t)), f = t - i;
    return "#" + STOPS[i].map(function (c, k) {
      var v = Math.round(c + (STOPS[i + 1][k] - c) * f);
      return (v < 16 ? "0" : "") + v.toString(16);
    }).join("");
  }
  function colourOf(id) {
    var v = TIME.mean_period[id];
    return typeof v === "number" ? colourAt(hi > lo ? (v - lo) / (hi - lo) : 0.5) : "#bbbbbb";
  }

  var option = document.createElement("option");
  option.value = "mean_period";
  option.textContent = "mean " + TIME.group_by;
  select.appendChild(option);
  var legend = document.createElement("div");
  legend.id = "period-legend";
  legend.hidden = true;
  legend.style.cssText = "font-size:.85em;margin-top:.3em";
  var bar = document.createElement("span");
  bar.style.cssText = "display:inline-block;width:7em;height:.8em;vertical-align:middle;margin:0 .4em;" +
    "background:linear-gradient(to right," + STOPS.map(function (s) { return "rgb(" + s.join(",") + ")"; }).join(",") +
    ")";
  var from = document.createElement("span"), to = document.createElement("span");
  from.textContent = String(lo);
  to.textContent = String(hi);
  legend.appendChild(from);
  legend.appendChild(bar);
  legend.appendChild(to);
  select.parentNode.insertBefore(legend, select.nextSibling);

  // app.js colours the nodes first (grey: it knows no mean period), on the
  // menu and on the label switch, which redraws the legends; this runs after it
  function paint() {
    var on = select.value === "mean_period";
    legend.hidden = !on;
    if (!on) return;
    cy.batch(function () {
      cy.nodes().forEach(function (node) { node.data("colour", colourOf(node.id())); });
    });
    document.querySelectorAll("#filter-category .swatch, #filter-community .swatch").forEach(function (s) {
      s.style.background = "transparent";
    });
  }
  select.addEventListener("change", paint);
  document.querySelectorAll("input[name=script]").forEach(function (r) { r.addEventListener("change", paint); });
  window.reportTime = {colourAt: colourAt, colourOf: colourOf};  // for the browser test
})();
