// The checkout's delivery fee and total follow the chosen shipping method. The server has
// written them for the first method, and each method's label carries its own fee and
// total, so the page reads fine without scripts ("Update total" then re-prices it).
(function () {
  "use strict";

  function show(method) {
    var quote = document.querySelector('#shipping-quotes li[data-method="' + method + '"]');
    if (!quote) {
      return;
    }
    document.getElementById("shipping-label").textContent = quote.dataset.label;
    document.getElementById("shipping-fee").textContent = quote.dataset.fee;
    document.getElementById("order-total").textContent = quote.dataset.total;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var update = document.getElementById("update-total");
    if (update) {
      update.hidden = true;
    }
    var radios = document.querySelectorAll('input[name="shipping_method"]');
    radios.forEach(function (radio) {
      radio.addEventListener("change", function () {
        show(radio.value);
      });
      if (radio.checked) {
        show(radio.value);
      }
    });
  });
})();
