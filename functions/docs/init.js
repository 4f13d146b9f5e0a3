// Starts Swagger UI on this API's own document. A file of its own, not an inline script: the page's
// Content-Security-Policy runs scripts of this origin only. Nothing is sent elsewhere: no validator badge
// (validatorUrl: null), no top bar to load other documents with.
"use strict";
window.ui = SwaggerUIBundle({
  url: new URL("openapi.json", document.baseURI).href,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  deepLinking: true,
  validatorUrl: null,
});
