/** Where the app serves its own Stripe sandbox (API at `<path>/v1`, pages at `<path>/checkout/:id`…). */
export const SANDBOX_MOUNT_PATH = '/sandbox/stripe';
/** Where the app serves its Google sandbox (Google's own paths below it). */
export const GOOGLE_SANDBOX_PATH = '/sandbox/google';
/** The OAuth client id of the Google sandbox (public, like any client id). */
export const GOOGLE_SANDBOX_CLIENT_ID = 'roi-spectrum-sandbox.apps.googleusercontent.com';
