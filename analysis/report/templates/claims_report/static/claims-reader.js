// Readers' accessibility and print (issue #13, items 8 and 9); see claims-reader.css.
(() => {
  // vega-embed's action menu is a <summary> holding only an icon: give it an accessible name
  // (axe summary-name). Charts are embedded asynchronously, so label menus as they appear.
  const MENU_LABEL = "Chart actions: save as SVG or PNG";
  const label = () => document.querySelectorAll(".vega-embed > details > summary:not([aria-label])")
    .forEach(summary => summary.setAttribute("aria-label", MENU_LABEL));
  new MutationObserver(label).observe(document.documentElement, {childList: true, subtree: true});
  // Collapsed sections (tables, sources) print open, and close again after printing: a closed
  // <details> prints empty, and CSS cannot open it in Chromium's print.
  let opened = [];
  window.addEventListener("beforeprint", () => {
    opened = Array.from(document.querySelectorAll("details:not([open])")).filter(d => !d.closest(".vega-embed"));
    opened.forEach(d => { d.open = true; });
  });
  window.addEventListener("afterprint", () => { opened.forEach(d => { d.open = false; }); opened = []; });
  document.addEventListener("DOMContentLoaded", () => {
    label();
    // Printed external links show their host (claims-reader.css) where their text does not.
    document.querySelectorAll('a[href^="http://"], a[href^="https://"]').forEach(link => {
      if (!URL.canParse(link.href)) return;
      const host = new URL(link.href).host;
      if (!link.textContent.includes(host)) link.setAttribute("data-print-host", host);
    });
  });
})();
