// Answer the passkey challenge the sign-in page carries, then send the signed
// answer through the sign-in form, so the server checks it like a typed code.
const button = document.getElementById("passkey-sign-in");
const status = document.getElementById("passkey-status");
const options = document.getElementById("passkey-options");

const supported =
  window.PublicKeyCredential &&
  typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

if (button && status && options && supported) {
  button.hidden = false;
  status.textContent = "";
  button.addEventListener("click", async () => {
    button.disabled = true;
    status.textContent = "Waiting for your passkey…";
    try {
      const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(
        JSON.parse(options.textContent),
      );
      const credential = await navigator.credentials.get({ publicKey });
      const form = button.form;
      form.elements["passkey-assertion"].value = JSON.stringify(credential.toJSON());
      status.textContent = "Checking your passkey…";
      form.submit();
    } catch {
      // Cancelled, timed out, or no passkey for this site on this device.
      status.textContent =
        "Your passkey was not used. Try again, or use a code from your authenticator app.";
      button.disabled = false;
      button.focus();
    }
  });
} else if (status) {
  status.textContent =
    "This browser cannot use passkeys. Use a code from your authenticator app instead.";
}
