// On a narrow screen the filters sit above the hits in a closed panel; on a wide one the panel is always open.
"use strict";
(() => {
  const narrow = window.matchMedia("(max-width: 720px)");
  const apply = () => {
    const panel = document.getElementById("facets");
    if (panel) panel.open = !narrow.matches;
  };
  document.addEventListener("DOMContentLoaded", apply);
  narrow.addEventListener("change", apply);
})();
