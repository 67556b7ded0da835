/* The report's own script: draws the concept graph with Cytoscape.js and wires
 * up search, filters, the label switch and the details panel.
 * Every string from the data goes into the page through textContent (never
 * innerHTML), so document text is shown, never run. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("report-data").textContent);
  var PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
    "#bcbd22", "#17becf"];
  var NODE_FIELDS = ["category", "parent", "frequency", "doc_frequency", "degree", "weighted_degree", "betweenness",
    "pagerank", "community"];
  var EDGE_FIELDS = ["weight", "doc_frequency", "jaccard", "dice", "pmi", "npmi", "association_strength",
    "evidence_count"];
  var state = {script: DATA.labels, colourBy: "community", measure: DATA.measures[0], minWeight: 1, shown: null};
  var byId = {};
  DATA.nodes.forEach(function (n) { byId[n.id] = n; });

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function num(v, d) { return typeof v === "number" && isFinite(v) ? v : d; }
  function label(n, script) {
    var v = n[script || state.script];
    return v === "" || v === undefined || v === null ? n.id : String(v);
  }
  function uniq(values) {
    var seen = {}, out = [];
    values.forEach(function (v) { var k = typeof v + ":" + v; if (!seen[k]) { seen[k] = 1; out.push(v); } });
    return out.sort(function (a, b) { return String(a).localeCompare(String(b), "en", {numeric: true}); });
  }
  var categories = uniq(DATA.nodes.map(function (n) { return n.category; }));
  var communities = uniq(DATA.nodes.map(function (n) { return n.community; }));
  function colour(n) {
    var v = n[state.colourBy];
    if (v === "" || v === undefined || v === null) return "#bbbbbb";
    if (state.colourBy === "community" && typeof v === "number") return PALETTE[((v % 10) + 10) % 10];
    return PALETTE[categories.indexOf(v) % PALETTE.length];
  }
  var maxFreq = Math.max.apply(null, [1].concat(DATA.nodes.map(function (n) { return num(n.frequency, 1); })));
  var maxWeight = Math.max.apply(null, [1].concat(DATA.edges.map(function (e) { return num(e.weight, 1); })));

  var elements = DATA.nodes.map(function (n) {
    return {group: "nodes", data: {id: n.id, label: label(n), colour: colour(n),
      size: 18 + 62 * Math.sqrt(num(n.frequency, 1) / maxFreq)}, position: {x: n.x, y: n.y}};
  }).concat(DATA.edges.map(function (e, i) {
    return {group: "edges", data: {id: "e" + i, source: e.source, target: e.target, index: i, width: 1}};
  }));
  var cy = cytoscape({
    container: document.getElementById("cy"),
    elements: elements,
    layout: {name: "preset", fit: true, padding: 30},
    minZoom: 0.05,
    maxZoom: 6,
    style: [
      {selector: "node", style: {"width": "data(size)", "height": "data(size)", "background-color": "data(colour)",
        "label": "data(label)", "font-size": 16, "text-valign": "bottom", "text-margin-y": 3, "color": "#222",
        "text-outline-color": "#fff", "text-outline-width": 3, "min-zoomed-font-size": 7,
        "font-family": "Noto Sans CJK SC, WenQuanYi Zen Hei, Microsoft YaHei, sans-serif"}},
      {selector: "edge", style: {"width": "data(width)", "line-color": "#8a9ba8", "opacity": 0.45,
        "curve-style": "straight"}},
      {selector: ".hidden", style: {"display": "none"}},
      {selector: ".faded", style: {"opacity": 0.12}},
      {selector: "edge.near", style: {"opacity": 0.9, "line-color": "#555"}},
      {selector: ".hit", style: {"border-width": 4, "border-color": "#e6007e"}},
      {selector: "node:selected", style: {"border-width": 4, "border-color": "#111"}},
      {selector: "edge:selected", style: {"line-color": "#d62728", "opacity": 1}}
    ]
  });

  // ---- edge width by the chosen measure, filters, colours, labels
  function updateWidths() {
    var values = DATA.edges.map(function (e) { return num(e[state.measure], null); });
    var present = values.filter(function (v) { return v !== null; });
    var lo = Math.min.apply(null, present.concat([0])), hi = Math.max.apply(null, present.concat([1]));
    cy.batch(function () {
      cy.edges().forEach(function (edge) {
        var v = values[edge.data("index")];
        edge.data("width", v === null ? 0.5 : 0.8 + 7 * (v - lo) / ((hi - lo) || 1));
      });
    });
  }
  function checked(fieldset) {
    var out = {};
    fieldset.querySelectorAll("input").forEach(function (i) { out[i.dataset.key] = i.checked; });
    return out;
  }
  function key(v) { return typeof v + ":" + v; }
  function updateFilters() {
    var cats = checked(document.getElementById("filter-category"));
    var comms = checked(document.getElementById("filter-community"));
    cy.batch(function () {
      cy.nodes().forEach(function (node) {
        var n = byId[node.id()];
        node.toggleClass("hidden", !(cats[key(n.category)] && comms[key(n.community)]));
      });
      cy.edges().forEach(function (edge) {
        var e = DATA.edges[edge.data("index")];
        var hide = num(e.weight, 0) < state.minWeight || edge.source().hasClass("hidden") ||
          edge.target().hasClass("hidden");
        edge.toggleClass("hidden", hide);
      });
    });
  }
  function updateColours() {
    cy.batch(function () { cy.nodes().forEach(function (node) { node.data("colour", colour(byId[node.id()])); }); });
    document.querySelectorAll("#filter-" + state.colourBy + " .swatch").forEach(function (s) {
      s.style.background = s.dataset.colour;
    });
    document.querySelectorAll("#filter-" + (state.colourBy === "community" ? "category" : "community") +
      " .swatch").forEach(function (s) { s.style.background = "transparent"; });
  }
  function updateLabels() {
    cy.batch(function () { cy.nodes().forEach(function (node) { node.data("label", label(byId[node.id()])); }); });
    document.querySelectorAll("[data-node]").forEach(function (e) { e.textContent = label(byId[e.dataset.node]); });
    fillFilters(false);
    if (state.shown) state.shown();
  }

  // ---- filter check boxes, with colour swatches as the legend
  function fillFilters(first) {
    [["filter-category", "category", categories], ["filter-community", "community", communities]].forEach(
      function (spec) {
        var box = document.getElementById(spec[0]);
        var before = first ? null : checked(box);
        box.querySelectorAll("label").forEach(function (l) { l.remove(); });
        spec[2].forEach(function (value) {
          var members = DATA.nodes.filter(function (n) { return n[spec[1]] === value; });
          var input = el("input");
          input.type = "checkbox";
          input.dataset.key = key(value);
          input.checked = before ? before[key(value)] !== false : true;
          input.addEventListener("change", updateFilters);
          var swatch = el("span", null, "swatch");
          var fake = {}; fake[spec[1]] = value;
          var saved = state.colourBy; state.colourBy = spec[1]; swatch.dataset.colour = colour(fake);
          state.colourBy = saved;
          var text = value === "" ? "(none)" : spec[1] === "community" ?
            value + ": " + members.slice(0, 2).map(function (n) { return label(n); }).join(", ") +
            (members.length > 2 ? " …" : "") : value;
          var row = el("label");
          row.appendChild(input);
          row.appendChild(swatch);
          row.appendChild(el("span", text + " (" + members.length + ")"));
          box.appendChild(row);
        });
      });
    updateColours();
  }

  // ---- details panel
  var details = document.getElementById("details");
  function clear() { while (details.firstChild) details.removeChild(details.firstChild); }
  function nodeLink(id) {
    var b = el("button", label(byId[id]), "link");
    b.type = "button"; b.dataset.node = id;
    b.addEventListener("click", function () { selectNode(id, true); });
    return b;
  }
  function attrTable(obj, fields) {
    var t = el("table"), body = el("tbody");
    fields.forEach(function (f) {
      var tr = el("tr"); tr.appendChild(el("th", f)); tr.appendChild(el("td", obj[f] === undefined ? "" : obj[f]));
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }
  function showNode(id) {
    var n = byId[id];
    clear();
    details.appendChild(el("h3", label(n)));
    details.appendChild(el("p", [n.label_zh_hant, n.label_zh_hans, n.label_en].join(" / ") + " · " + n.id));
    details.appendChild(attrTable(n, NODE_FIELDS));
    var around = cy.getElementById(id).connectedEdges().map(function (edge) {
      return DATA.edges[edge.data("index")];
    }).sort(function (a, b) { return num(b[state.measure], 0) - num(a[state.measure], 0); });
    details.appendChild(el("h4", "Neighbours (" + around.length + "), by " + state.measure));
    var list = el("ol", null, "neighbours");
    around.forEach(function (e) {
      var other = e.source === id ? e.target : e.source;
      var li = el("li");
      li.appendChild(nodeLink(other));
      li.appendChild(el("span", " " + state.measure + " " + e[state.measure] + " · "));
      var ev = el("button", "evidence", "link");
      ev.type = "button";
      ev.addEventListener("click", function () { selectEdge(DATA.edges.indexOf(e), true); });
      li.appendChild(ev);
      list.appendChild(li);
    });
    details.appendChild(list);
    var k = DATA.kwic[id] || {total: 0, items: []};
    details.appendChild(el("h4", "Mentions in context"));
    details.appendChild(el("p", "Showing " + k.items.length + " of " + k.total + " mentions (this page keeps at most " +
      DATA.kwic_limit + " per concept).", "hint"));
    var kw = el("ol", null, "kwic");
    k.items.forEach(function (m) {
      var li = el("li");
      li.appendChild(el("small", m.doc + " p." + m.page + " "));
      li.appendChild(el("span", m.left));
      li.appendChild(el("mark", m.surface));
      li.appendChild(el("span", m.right));
      kw.appendChild(li);
    });
    details.appendChild(kw);
  }
  function showEdge(i) {
    var e = DATA.edges[i];
    clear();
    var h = el("h3");
    h.appendChild(nodeLink(e.source));
    h.appendChild(document.createTextNode(" — "));
    h.appendChild(nodeLink(e.target));
    details.appendChild(h);
    details.appendChild(attrTable(e, EDGE_FIELDS));
    details.appendChild(el("h4", "Evidence"));
    details.appendChild(el("p", "Showing " + e.evidence.length + " of " + (e.evidence_count === "" ? "?" :
      e.evidence_count) + " co-occurrences.", "hint"));
    var list = el("ol", null, "evidence");
    e.evidence.forEach(function (ev) {
      var li = el("li");
      li.appendChild(el("small", ev.doc + " p." + ev.page + " s." + ev.sentence + " "));
      li.appendChild(el("span", ev.snippet));
      list.appendChild(li);
    });
    details.appendChild(list);
  }
  function focus(collection) {
    cy.elements().removeClass("faded near");
    cy.elements().not(collection).addClass("faded");
    collection.edges().addClass("near");
  }
  function selectNode(id, centre) {
    var node = cy.getElementById(id);
    cy.elements().unselect();
    node.select();
    focus(node.closedNeighborhood());
    if (centre) cy.animate({center: {eles: node}, zoom: Math.max(cy.zoom(), 0.9), duration: 200});
    state.shown = function () { showNode(id); };
    state.shown();
  }
  function selectEdge(i, centre) {
    var edge = cy.getElementById("e" + i);
    cy.elements().unselect();
    edge.select();
    focus(edge.union(edge.connectedNodes()));
    if (centre) cy.animate({center: {eles: edge}, zoom: Math.max(cy.zoom(), 0.9), duration: 200});
    state.shown = function () { showEdge(i); };
    state.shown();
  }
  cy.on("tap", "node", function (evt) { selectNode(evt.target.id(), false); });
  cy.on("tap", "edge", function (evt) { selectEdge(evt.target.data("index"), false); });
  cy.on("tap", function (evt) {
    if (evt.target === cy) { cy.elements().removeClass("faded near"); cy.elements().unselect(); }
  });

  // ---- search by id or any label or alias, in any script
  var search = document.getElementById("search"), results = document.getElementById("search-results");
  function matches(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    var scored = [];
    DATA.nodes.forEach(function (n) {
      var names = [n.id, n.label_zh_hant, n.label_zh_hans, n.label_en].concat(n.aliases || []).map(function (s) {
        return String(s).toLowerCase();
      });
      var exact = names.indexOf(q) >= 0, part = names.some(function (s) { return s.indexOf(q) >= 0; });
      if (exact || part) scored.push([exact ? 0 : 1, -num(n.frequency, 0), n.id]);
    });
    scored.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : 1); });
    return scored.map(function (s) { return s[2]; });
  }
  function runSearch() {
    var found = matches(search.value);
    while (results.firstChild) results.removeChild(results.firstChild);
    cy.nodes().removeClass("hit");
    found.forEach(function (id) {
      cy.getElementById(id).addClass("hit");
      var li = el("li"); li.appendChild(nodeLink(id)); results.appendChild(li);
    });
    if (search.value.trim() && !found.length) results.appendChild(el("li", "no concept matches", "hint"));
    return found;
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (evt) {
    if (evt.key === "Enter") { var found = runSearch(); if (found.length) selectNode(found[0], true); }
  });

  // ---- controls
  document.querySelectorAll("input[name=script]").forEach(function (r) {
    r.checked = r.value === state.script;
    r.addEventListener("change", function () { state.script = r.value; updateLabels(); });
  });
  var colourBy = document.getElementById("colour-by");
  colourBy.addEventListener("change", function () { state.colourBy = colourBy.value; updateColours(); });
  var measure = document.getElementById("edge-measure");
  DATA.measures.forEach(function (m) { var o = el("option", m); o.value = m; measure.appendChild(o); });
  measure.addEventListener("change", function () {
    state.measure = measure.value; updateWidths(); if (state.shown) state.shown();
  });
  var minWeight = document.getElementById("min-weight"), minValue = document.getElementById("min-weight-value");
  minWeight.max = String(maxWeight);
  minWeight.addEventListener("input", function () {
    state.minWeight = Number(minWeight.value); minValue.textContent = minWeight.value; updateFilters();
  });
  document.getElementById("reset").addEventListener("click", function () {
    cy.elements().removeClass("faded near hit"); cy.elements().unselect(); cy.fit(undefined, 30);
  });

  fillFilters(true);
  updateWidths();
  updateFilters();
  window.reportGraph = cy;  // for the browser test and for a curious reader's console
})();
