// Starts Swagger UI on /docs with the app's own OpenAPI document (no inline script: CSP).
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.openapiUrl || "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
