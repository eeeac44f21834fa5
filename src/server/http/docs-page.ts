/** A readable, self-contained HTML page of the OpenAPI description (no external assets). */
export function renderDocsPage(doc: Record<string, unknown>): string {
  const esc = (s: unknown) =>
    String(s).replace(
      /[&<>"]/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!,
    );
  const paths = doc.paths as Record<string, Record<string, Record<string, unknown>>>;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[]) ?? ['Other'])[0]!;
      const roles = op['x-roles'];
      const params = ((op.parameters as Record<string, unknown>[]) ?? [])
        .map(
          (p) =>
            `<li><code>${esc(p.name)}</code> <em>${esc(p.in)}</em>${p.required ? ' required' : ''}${p.description ? ` — ${esc(p.description)}` : ''}</li>`,
        )
        .join('');
      const body = (
        op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined
      )?.content;
      const responses = Object.entries(
        (op.responses as Record<
          string,
          { description: string; content?: Record<string, { schema?: unknown }> }
        >) ?? {},
      )
        .map(([status, r]) => {
          const schema = r.content ? Object.values(r.content)[0]?.schema : undefined;
          return `<li><b>${esc(status)}</b> ${esc(r.description)}${schema && status.startsWith('2') ? `<pre>${esc(JSON.stringify(schema, null, 2))}</pre>` : ''}</li>`;
        })
        .join('');
      const html = `<section class="op" id="${esc(op.operationId)}">
  <h3><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code></h3>
  <p>${esc(op.summary)}${op.description ? ` — ${esc(op.description)}` : ''}</p>
  <p class="roles">Access: ${esc(Array.isArray(roles) ? roles.join(', ') : roles)}</p>
  ${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}
  ${
    body
      ? Object.entries(body)
          .map(
            ([type, c]) =>
              `<h4>Body (${esc(type)})</h4><pre>${esc(JSON.stringify(c.schema ?? {}, null, 2))}</pre>`,
          )
          .join('')
      : ''
  }
  <h4>Responses</h4><ul>${responses}</ul>
</section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const info = doc.info as { title: string; description: string; version: string };
  const nav = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ');
  const sections = [...byTag.entries()]
    .map(([tag, ops]) => `<h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join('\n')}`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title)} — API reference</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:980px;margin:0 auto;padding:1rem 1.5rem;color:#1d2433}
code,pre{font:13px ui-monospace,monospace}pre{background:#f4f6fa;padding:.6rem;overflow:auto;max-height:320px;border-radius:6px}
.op{border:1px solid #dde3ee;border-radius:8px;padding:.2rem 1rem;margin:1rem 0}
.m{display:inline-block;min-width:4.2em;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}
.get{background:#2f7d4f}.post{background:#2557a7}.patch{background:#a76b25}.put{background:#6b25a7}.delete{background:#a72525}
.roles{color:#566}nav{position:sticky;top:0;background:#fff;padding:.5rem 0;border-bottom:1px solid #eee}
</style></head><body>
<h1>${esc(info.title)} <small>v${esc(info.version)}</small></h1>
<p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>
<nav>${nav}</nav>
${sections}
</body></html>`;
}
