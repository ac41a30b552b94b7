/* Payment form: spread the amount received over the open documents, oldest due first. */
(function () {
  "use strict";
  var button = document.getElementById("spread-payment");
  if (!button) { return; }
  function parse(text) {
    var cleaned = (text || "").replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".");
    var value = parseFloat(cleaned);
    return isNaN(value) ? 0 : Math.round(value * 100);
  }
  function format(cents) {
    return (cents / 100).toFixed(2).replace(".", ",");
  }
  button.addEventListener("click", function () {
    var left = parse(document.getElementById("amount").value);
    Array.prototype.forEach.call(document.querySelectorAll("input.allocation"), function (input) {
      var due = parseInt(input.getAttribute("data-due-cents"), 10);
      var share = Math.min(due, left);
      input.value = share > 0 ? format(share) : "";
      left -= Math.max(share, 0);
    });
  });
})();
