// The explorer's accessibility layer (adlearn.views.controls.AccessibilityLayer): what
// ipywidgets leaves out, added in the browser. See that class for what it does.
const PLAY = ["play", "stop", "repeat"];
const SCROLLING = [[".adlearn-graph", "the computation graph"],
                   [".adlearn-trace-table", "the evaluation trace"]];
function named(el, words, root, names) {
  const box = Object.keys(names).find((c) => el.closest("." + c));
  const clean = words.replace(/[◀▶]/g, "").trim();
  return box ? `${clean} (${names[box]})` : clean;
}
function label(root, names) {
  for (const slider of root.querySelectorAll(".widget-slider")) {
    const text = slider.querySelector(".widget-label")?.textContent || "";
    const readout = slider.querySelector(".widget-readout")?.textContent?.trim();
    for (const handle of slider.querySelectorAll(".noUi-handle")) {
      handle.setAttribute("aria-label", named(slider, text, root, names));
      if (readout && !Number.isNaN(Number(readout))) {  // the value as the readout says it,
        handle.setAttribute("aria-valuenow", String(Number(readout)));  // no rounder
        handle.setAttribute("aria-valuetext", readout);
      }
    }
  }
  for (const play of root.querySelectorAll(".widget-play")) {
    play.querySelectorAll("button").forEach((b, i) => {
      const pausing = b.querySelector(".fa-pause");
      b.setAttribute("aria-label", named(play, pausing ? "pause" : PLAY[i], root, names));
    });
  }
  for (const b of root.querySelectorAll(".widget-button:not(.widget-toggle-button)"))
    b.setAttribute("aria-label", named(b, b.textContent, root, names));
  for (const group of root.querySelectorAll(".widget-toggle-buttons")) {
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", group.querySelector(".widget-label")?.textContent || "");
    for (const b of group.querySelectorAll("button"))
      b.setAttribute("aria-pressed", String(b.classList.contains("mod-active")));
  }
  for (const [selector, name] of SCROLLING) {  // a region that scrolls takes the focus,
    const region = root.querySelector(selector);  // so the keyboard can scroll it too
    if (!region) continue;
    if (region.scrollWidth > region.clientWidth || region.scrollHeight > region.clientHeight) {
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "region");
      region.setAttribute("aria-label", name);
    } else {
      ["tabindex", "role", "aria-label"].forEach((a) => region.removeAttribute(a));
    }
  }
  for (const live of root.querySelectorAll(
      ".adlearn-result > .widget-html-content, .adlearn-caption > .widget-html-content")) {
    live.setAttribute("aria-live", "polite");
    live.setAttribute("role", "status");
  }
}
export default {
  render({ model, el }) {
    let root = null, busy = false;
    const apply = () => {
      if (busy || !root) return;
      busy = true;  // our own changes to attributes do not call us again
      label(root, model.get("names"));
      observer.takeRecords();
      busy = false;
    };
    const observer = new MutationObserver(apply);
    const start = () => {
      root = el.closest("." + model.get("root"));
      if (!root) return requestAnimationFrame(start);  // not in the page yet
      apply();
      observer.observe(root, { subtree: true, childList: true, characterData: true,
                               attributes: true,
                               attributeFilter: ["class", "aria-valuenow"] });
    };
    start();
    return () => observer.disconnect();
  },
};
