// Autosave of the cxroi dashboard in this browser (docs/dashboard.md, "Versions and autosave").
//
// The kernel writes the session's state (scenario and named versions, as JSON) into a holder
// <div class="cxroi-autosave" data-key=K data-ready=0|1>. While data-ready is 0 (a fresh page),
// this script sends the state of a shared link (#cxroi=...) or else what localStorage[K]
// holds ("none" if nothing) through the hidden
// .cxroi-restore input; the kernel validates it like an upload and sets data-ready to 1. From
// then on every new state the kernel writes is kept in localStorage[K]. Nothing leaves the
// machine.
const ASKED = "cxroiAsked";

// A shared link carries the state after "#cxroi=" (base64url of the same JSON). It is read
// once and taken out of the address, so a later reload restores the latest edits instead.
function fromLink() {
  const m = window.location.hash.match(/^#cxroi=([A-Za-z0-9_-]+)$/);
  if (!m) return null;
  history.replaceState(null, "", window.location.pathname + window.location.search);
  try {
    const b64 = m[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return new TextDecoder().decode(bytes);
  } catch (err) {
    return null; // a damaged link: the page opens on the saved state or the file
  }
}

function sync(holder) {
  const key = holder.dataset.key;
  if (!key) return;
  if (holder.dataset.ready !== "1") {
    if (holder.dataset[ASKED]) return;
    const input = document.querySelector(".cxroi-restore input");
    if (!input) return; // not drawn yet: the observer calls again
    holder.dataset[ASKED] = "1";
    let saved = fromLink();
    if (saved === null) {
      try {
        saved = window.localStorage.getItem(key);
      } catch (err) {
        saved = null; // storage refused (private mode): nothing to restore
      }
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
