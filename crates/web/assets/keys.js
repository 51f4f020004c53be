// supportdesk console keyboard shortcuts: j/k move in the queue, Enter opens, r replies,
// / searches (the queue's search box, or the one every console page has in its header).
// Loaded as an external file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  function typing(target) {
    var tag = target && target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }
  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  }
  function move(step) {
    var all = rows();
    if (all.length === 0) { return; }
    var current = all.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = Math.min(all.length - 1, Math.max(0, current + step));
    if (current >= 0) { all[current].classList.remove("selected"); }
    all[next].classList.add("selected");
    all[next].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    if (event.key === "j") { move(1); event.preventDefault(); }
    else if (event.key === "k") { move(-1); event.preventDefault(); }
    else if (event.key === "Enter") {
      var selected = document.querySelector("tr.row.selected");
      if (selected) { window.location.assign(selected.getAttribute("data-href")); }
    } else if (event.key === "/") {
      var search = document.getElementById("search") || document.getElementById("search-top");
      if (search) { search.focus(); event.preventDefault(); }
    } else if (event.key === "r") {
      var reply = document.getElementById("reply-body");
      if (reply) { reply.focus(); event.preventDefault(); }
    }
  });
})();
