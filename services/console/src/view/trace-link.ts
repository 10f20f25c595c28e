import { type Html, html } from './html.ts';

/**
 * A link to a trace in the configured viewer (`FLYWHEEL_CONSOLE_TRACE_URL`, `{traceId}` replaced);
 * the bare id when no viewer is configured, and nothing for no trace.
 */
export function traceLink(template: string | undefined, traceId: string | undefined): Html {
  if (!traceId) return html`<span class="muted">no trace</span>`;
  if (!template)
    return html`<code class="trace" title="set FLYWHEEL_CONSOLE_TRACE_URL to link it">${traceId}</code>`;
  return html`<a class="trace" href="${template.replaceAll('{traceId}', traceId)}">trace ${traceId.slice(0, 8)}…</a>`;
}
