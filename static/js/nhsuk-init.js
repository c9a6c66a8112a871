// Start NHS.UK frontend's components (header menu, buttons, error summary).
import { initAll } from "../vendor/nhsuk/nhsuk-frontend.min.js";

initAll();
