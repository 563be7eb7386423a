// Loaded as a module, so it only runs in browsers that GOV.UK Frontend supports;
// older ones get the plain HTML, which works without JavaScript.
import { initAll } from "../vendor/govuk-frontend/js/govuk-frontend.min.js";

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();
