// Ticks every <time data-countdown datetime="ISO"> each second. The server has written the
// time left already (the page reads fine without scripts); the patterns come from the
// element's data attributes, translated: data-pattern-hours, data-pattern-minutes, data-done.
(function () {
  "use strict";

  function pad(number) {
    return number < 10 ? "0" + number : String(number);
  }

  function render(element, now) {
    var ends = Date.parse(element.getAttribute("datetime"));
    if (isNaN(ends)) {
      return;
    }
    var left = Math.floor((ends - now) / 1000);
    if (left <= 0) {
      element.textContent = element.dataset.done;
      return;
    }
    var hours = Math.floor(left / 3600);
    var minutes = Math.floor((left % 3600) / 60);
    var pattern = hours > 0 ? element.dataset.patternHours : element.dataset.patternMinutes;
    element.textContent = pattern
      .replace("{h}", String(hours))
      .replace("{m}", pad(minutes))
      .replace("{s}", pad(left % 60));
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (element) {
      render(element, now);
    });
  }

  function start() {
    if (!document.querySelector("time[data-countdown]")) {
      return;
    }
    tick();
    window.setInterval(tick, 1000);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
