// Quick order: checks the typed lines as the buyer types (the form works without this script).
(function () {
  "use strict";
  var form = document.querySelector("form.quick-order");
  if (!form) return;
  var box = form.querySelector("textarea[name=lines]");
  var results = document.getElementById("quick-order-results");
  var timer = null;
  var sent = 0;

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function show(answer) {
    results.textContent = "";
    if (answer.error) {
      var p = document.createElement("p");
      p.className = "warning";
      p.textContent = answer.error;
      results.appendChild(p);
      return;
    }
    var table = document.createElement("table");
    table.className = "quick-order-lines";
    var head = table.createTHead().insertRow();
    ["Line", "SKU", "Product", "Quantity", "Unit price", "Check"].forEach(function (h) {
      var th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    });
    var body = table.createTBody();
    answer.lines.forEach(function (line) {
      var row = body.insertRow();
      row.className = line.ok ? "ok" : "has-warning";
      row.dataset.line = line.line;
      cell(row, String(line.line));
      cell(row, line.sku, "sku");
      cell(row, line.name);
      cell(row, line.quantity === null ? "—" : String(line.quantity), "num");
      cell(row, line.unit_price || "—", "num");
      var verdict = line.ok ? "OK" : "Line " + line.line + ": " + line.error;
      if (line.ok && line.backordered) verdict += ": " + line.backordered + " backordered, shipped when stock arrives";
      if (line.ok && line.note) verdict += " " + line.note;
      cell(row, verdict, line.ok ? "" : "warning");
    });
    results.appendChild(table);
  }

  function check() {
    if (!box.value.trim()) { results.textContent = ""; return; }
    var mine = ++sent;
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    data.append("lines", box.value);
    fetch(form.dataset.checkUrl, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) { if (mine === sent) show(answer); })
      .catch(function () { /* the form still checks on submit */ });
  }

  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  // Lines already there when the script starts (typed or pasted while the page loaded, or put back by the
  // browser's Back button) are checked too.
  if (box.value.trim()) check();
})();
