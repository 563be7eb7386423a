// django-otp-webauthn's registration script announces a saved passkey with this
// event; reload so the new passkey is listed, with the server's confirmation.
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.reload();
});
