/* « Contacter le support »: the button opens the panel in a modal instead of
   following its link to /support/ (kept for browsers without JavaScript, and for
   a click that asks for a new tab). Loaded with `defer`, after jQuery and Bootstrap. */
(function () {
  "use strict";
  var button = document.getElementById("support-button");
  var modal = document.getElementById("support-modal");
  if (!button || !modal || !window.jQuery || !window.jQuery.fn.modal) {
    return;
  }
  var $modal = window.jQuery(modal);
  var subject = modal.querySelector("input[name=subject]");
  var page = modal.querySelector("input[name=page]");

  // An error page is rendered without its URL (it must read the same for any URL):
  // the browser knows where the user is.
  if (page && !page.value) {
    page.value = (window.location.pathname + window.location.search).slice(0, 500);
  }

  button.addEventListener("click", function (event) {
    if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    $modal.modal("show");
  });

  $modal.on("shown.bs.modal", function () {
    if (subject) {
      subject.focus();
    }
  });
  $modal.on("hidden.bs.modal", function () {
    button.focus();
  });
})();
