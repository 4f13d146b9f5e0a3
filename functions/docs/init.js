// Starts Swagger UI on this API's own document. A file of its own, not an inline script: the page's
// Content-Security-Policy runs scripts of this origin only. Nothing is sent elsewhere: no validator badge
// (validatorUrl: null), no top bar to load other documents with.
"use strict";
const here = new URL(".", document.baseURI).href; // deployed, under the stage: https://.../v1/
fetch(new URL("openapi.json", here))
  .then((answer) => answer.json())
  .then((spec) => {
    // "Try it out" calls this API where this page is: the document's server "/" would drop the stage.
    spec.servers = [{ url: here.replace(/\/$/, ""), description: "this API" }];
    window.ui = SwaggerUIBundle({
      spec,
      dom_id: "#swagger-ui",
      layout: "BaseLayout",
      presets: [SwaggerUIBundle.presets.apis],
      deepLinking: true,
      validatorUrl: null,
    });
  });
