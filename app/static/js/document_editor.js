/* Document editor: add and remove lines, fill a line from the chosen article.
   Totals are computed by the server (app/invoicing/totals.py) when the draft is saved. */
(function () {
  "use strict";
  var table = document.getElementById("document-lines");
  if (!table) { return; }
  var articles = JSON.parse(document.getElementById("articles-data").textContent);
  var body = table.querySelector("tbody");

  function renumber() {
    Array.prototype.forEach.call(body.querySelectorAll("tr.document-line"), function (row, index) {
      Array.prototype.forEach.call(row.querySelectorAll("input, select"), function (field) {
        field.name = field.name.replace(/^lines-\d+-/, "lines-" + index + "-");
        field.id = field.name;
      });
      var position = row.querySelector(".line-position");
      if (position) { position.textContent = index + 1; }
    });
  }

  function fillFromArticle(select) {
    var article = articles[select.value];
    if (!article) { return; }
    var row = select.closest("tr");
    row.querySelector("[name$='-designation']").value = article.label;
    row.querySelector("[name$='-unit_price_ht']").value = article.price;
    row.querySelector("[name$='-vat_rate']").value = article.vat;
    row.querySelector("[name$='-nature']").value = article.nature;
    var quantity = row.querySelector("[name$='-quantity']");
    if (!quantity.value) { quantity.value = "1"; }
  }

  body.addEventListener("change", function (event) {
    if (event.target.name && /-article_id$/.test(event.target.name)) { fillFromArticle(event.target); }
  });
  body.addEventListener("click", function (event) {
    var button = event.target.closest(".remove-line");
    if (!button) { return; }
    var rows = body.querySelectorAll("tr.document-line");
    if (rows.length > 1) { button.closest("tr").remove(); renumber(); }
  });
  document.getElementById("add-line").addEventListener("click", function () {
    var rows = body.querySelectorAll("tr.document-line");
    var copy = rows[rows.length - 1].cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("input"), function (input) {
      input.value = /-quantity$/.test(input.name) ? "1" : (/-discount_pct$/.test(input.name) ? "0" : "");
    });
    copy.querySelector("[name$='-article_id']").value = "";
    body.appendChild(copy);
    renumber();
    copy.querySelector("[name$='-article_id']").focus();
  });
})();
