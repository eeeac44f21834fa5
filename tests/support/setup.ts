// Tests talk to loopback only: a stray request to the internet fails loudly instead of hanging.
const realFetch = globalThis.fetch;
globalThis.fetch = (async (
  input: Parameters<typeof fetch>[0],
  init?: Parameters<typeof fetch>[1],
) => {
  const url = new URL(
    typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
  );
  if (
    !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) &&
    !url.hostname.endsWith('.localhost')
  ) {
    throw new Error(`Test made an outbound request to ${url.origin}; tests must stay on loopback`);
  }
  return realFetch(input, init);
}) as typeof fetch;
