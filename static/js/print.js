// Buttons marked data-print open the browser's print dialog (the page's print stylesheet
// leaves only the receipt). Without scripts the browser's own Print does the same.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();
