/** Where the app serves its own Stripe sandbox (API at `<path>/v1`, pages at `<path>/checkout/:id`…). */
export const SANDBOX_MOUNT_PATH = '/sandbox/stripe';
