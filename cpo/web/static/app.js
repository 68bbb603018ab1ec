// Start the GOV.UK and MoJ components on this page (progressive: pages work without it).
import { initAll } from "/assets/govuk-frontend.min.js";

initAll();
