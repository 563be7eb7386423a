// Progressive enhancement of the contact log form: fieldsets that only apply to
// some kinds of contact are hidden for the others. Without JavaScript every
// fieldset shows, and nothing is lost: hidden fields keep their values.
const form = document.querySelector("[data-contact-form]");
if (form) {
  const channel = form.querySelector("select[name=channel]");
  const groups = form.querySelectorAll("fieldset[data-channels]");
  const show = () => {
    for (const group of groups) {
      const applies = group.dataset.channels.split(" ").includes(channel.value);
      // A fieldset holding an error always shows, so the error can be read.
      group.hidden = !applies && !group.querySelector(".govuk-form-group--error");
    }
  };
  if (channel) {
    channel.addEventListener("change", show);
    show();
  }
}
