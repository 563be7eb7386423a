// Progressive enhancement of the raising form: the nudes guidance shows when the
// type names them, and the kind of risk is not asked of a personal data breach.
// Without JavaScript the guidance always shows and the question's hint says to
// leave it blank; the server ignores it for a breach either way.
const form = document.querySelector("[data-concern-form]");
if (form) {
  const type = form.querySelector("select[name=incident_type]");
  const guidance = form.querySelector("[data-nudes-guidance]");
  const category = form.querySelector("select[name=category]");
  const categoryGroup = category ? category.closest(".govuk-form-group") : null;
  const show = () => {
    if (guidance) {
      const applies = guidance.dataset.types.split(" ").includes(type.value);
      // A refused file keeps the guidance in view, so the reason can be read.
      guidance.hidden = !applies && !form.querySelector(".govuk-file-upload--error");
    }
    if (categoryGroup) {
      categoryGroup.hidden =
        type.value === "data_breach" && !categoryGroup.classList.contains("govuk-form-group--error");
    }
  };
  if (type) {
    type.addEventListener("change", show);
    show();
  }
}
