/* global window, document */
// Starts Swagger UI on the app's own OpenAPI document. Served from this origin beside
// swagger-ui-bundle.js (no external assets, no inline script), so it runs under the app's CSP.
// "Try it out" sends requests to the same origin: authorise with an `rsk_…` API key, or use the
// session of the signed-in browser (unsafe requests then carry the CSRF header, as the web app does).

/** The value of a cookie of this origin, or undefined. */
function readCookie(name) {
  const pair = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return pair ? decodeURIComponent(pair.slice(name.length + 1)) : undefined;
}

window.addEventListener('load', () => {
  const { SwaggerUIBundle } = globalThis;
  globalThis.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    tryItOutEnabled: true,
    // A key typed here lives only as long as the page: it is never written to localStorage.
    persistAuthorization: false,
    // No badge fetched from validator.swagger.io: nothing leaves this origin.
    validatorUrl: null,
    displayRequestDuration: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    requestInterceptor(request) {
      const method = (request.method || 'GET').toUpperCase();
      const hasKey = Object.keys(request.headers || {}).some(
        (h) => h.toLowerCase() === 'authorization',
      );
      const csrf = readCookie('csrf_token');
      if (!hasKey && csrf && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
        request.headers['X-CSRF-Token'] = csrf;
      }
      return request;
    },
  });
});
