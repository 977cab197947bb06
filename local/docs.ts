/**
 * `/docs`: the environment's OpenAPI document (lib/api/openapi.ts, the one `npm run openapi` writes) rendered as one
 * self-contained HTML page: no CDN, no script, readable offline. Per operation: method, path, summary, description,
 * who may call it (scopes or how it authenticates), parameters, the request body's schema and the answers.
 */
import type { OpenApiDocument } from '../lib/api/openapi';

const escape = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function resolveRef(document: OpenApiDocument, value: any): any {
  if (value && typeof value.$ref === 'string') return value.$ref.replace(/^#\//, '').split('/').reduce((node: any, key: string) => node?.[key], document);
  return value;
}

export function renderDocs(document: OpenApiDocument, baseUrl: string): string {
  const sections: string[] = [];
  for (const tag of document.tags ?? []) {
    const operations: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods) as Array<[string, any]>) {
        if (!operation.tags?.includes(tag.name)) continue;
        const security = (operation.security ?? []).map((entry: Record<string, string[]>) => Object.entries(entry).map(([scheme, scopes]) => (scopes.length ? `${scheme}: ${scopes.join(', ')}` : scheme)).join(' ')).join(' or ');
        const parameters = (operation.parameters ?? [])
          .map((p: any) => `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}</td><td>${p.required ? 'required' : ''}</td><td>${escape(p.description)}</td></tr>`)
          .join('');
        const body = operation.requestBody
          ? Object.entries(operation.requestBody.content as Record<string, any>)
              .map(([type, content]) => `<p>Body (${escape(type)}), ${escape(operation.requestBody.description)}</p><pre>${escape(JSON.stringify(resolveRef(document, content.schema), null, 2))}</pre>`)
              .join('')
          : '';
        const responses = Object.entries(operation.responses as Record<string, any>)
          .map(([status, response]) => `<li><b>${escape(status)}</b> ${escape(resolveRef(document, response).description)}</li>`)
          .join('');
        operations.push(`<details id="${escape(operation.operationId)}"><summary><span class="m ${escape(method)}">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code> ${escape(operation.summary)}</summary>
<p>${escape(operation.description ?? '')}</p>
<p><b>Authentication:</b> ${escape(security || operation['x-connect-authentication'] || 'none')}</p>
${parameters ? `<table><tr><th>parameter</th><th>in</th><th></th><th></th></tr>${parameters}</table>` : ''}${body}<ul>${responses}</ul></details>`);
      }
    }
    sections.push(`<h2>${escape(tag.name)}</h2>${operations.join('\n')}`);
  }
  const schemas = Object.entries((document.components?.schemas ?? {}) as Record<string, unknown>)
    .map(([name, schema]) => `<details id="schema-${escape(name)}"><summary><code>${escape(name)}</code></summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`)
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(document.info.title)} (local)</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}code,pre{font:13px ui-monospace,monospace}
pre{background:#f5f5f5;padding:.75rem;overflow:auto}details{border:1px solid #ddd;border-radius:4px;margin:.4rem 0;padding:.4rem .8rem}
summary{cursor:pointer}.m{display:inline-block;min-width:4.5rem;font-weight:bold}.get{color:#1a7f37}.post{color:#0550ae}.put,.patch{color:#9a6700}.delete{color:#cf222e}
table{border-collapse:collapse}td,th{border-bottom:1px solid #eee;padding:.2rem .6rem;text-align:left;vertical-align:top}</style></head><body>
<h1>${escape(document.info.title)}</h1><p>${escape(document.info.description)}</p>
<p>Served locally at <code>${escape(baseUrl)}</code>. The OpenAPI document: <a href="/openapi.json">/openapi.json</a>.</p>
${sections.join('\n')}<h2>Schemas</h2>${schemas}</body></html>`;
}
