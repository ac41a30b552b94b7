/* Shared behaviour: ask before anything destructive.
   <form data-confirm="Supprimer ce brouillon ?"> or <button data-confirm="…">. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
})();
