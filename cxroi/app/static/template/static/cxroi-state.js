// Autosave of the cxroi dashboard in this browser (docs/dashboard.md, "Versions and autosave").
//
// The kernel writes the session's state (scenario and named versions, as JSON) into a holder
// <div class="cxroi-autosave" data-key=K data-ready=0|1>. While data-ready is 0 (a fresh page),
// this script sends what localStorage[K] holds ("none" if nothing) through the hidden
// .cxroi-restore input; the kernel validates it like an upload and sets data-ready to 1. From
// then on every new state the kernel writes is kept in localStorage[K]. Nothing leaves the
// machine.
const ASKED = "cxroiAsked";

function sync(holder) {
  const key = holder.dataset.key;
  if (!key) return;
  if (holder.dataset.ready !== "1") {
    if (holder.dataset[ASKED]) return;
    const input = document.querySelector(".cxroi-restore input");
    if (!input) return; // not drawn yet: the observer calls again
    holder.dataset[ASKED] = "1";
    let saved = null;
    try {
      saved = window.localStorage.getItem(key);
    } catch (err) {
      saved = null; // storage refused (private mode): nothing to restore
    }
    input.value = saved || "none";
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return;
  }
  const script = holder.querySelector('script[type="application/json"]');
  if (!script) return;
  try {
    window.localStorage.setItem(key, script.textContent);
  } catch (err) {
    // storage full or refused: the dashboard still works, without autosave
  }
}

function scan() {
  document.querySelectorAll(".cxroi-autosave").forEach(sync);
}

new MutationObserver(scan).observe(document.documentElement, {
  childList: true,
  subtree: true,
  attributes: true,
  attributeFilter: ["data-ready"],
});
scan();
