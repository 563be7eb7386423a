// An optional drawn signature beside the typed name (which is the signature that
// counts). Without JavaScript the canvas stays hidden and nothing is lost.
import SignaturePad from "../vendor/signature_pad/signature_pad.min.js";

const field = document.querySelector("[data-signature-field]");
const canvas = document.querySelector("[data-signature-canvas]");
const clear = document.querySelector("[data-signature-clear]");

if (field && canvas && clear) {
  canvas.closest("[data-signature]").hidden = false;
  const ratio = Math.max(window.devicePixelRatio || 1, 1);
  canvas.width = canvas.offsetWidth * ratio;
  canvas.height = canvas.offsetHeight * ratio;
  canvas.getContext("2d").scale(ratio, ratio);
  const pad = new SignaturePad(canvas);
  // Back from "Check your answers": show the signature already drawn.
  if (field.value.startsWith("data:image/png;base64,")) {
    pad.fromDataURL(field.value, { ratio: 1 });
  }
  pad.addEventListener("endStroke", () => {
    field.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
  });
  clear.addEventListener("click", () => {
    pad.clear();
    field.value = "";
  });
}
