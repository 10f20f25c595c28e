/** Markup already escaped (made by {@link html} or marked by {@link raw}). */
export class Html {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  toString(): string {
    return this.text;
  }
}

const entities: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c] ?? c);
}

type Part = Html | string | number | bigint | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false) return '';
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join('');
  return escapeHtml(String(part));
}

/**
 * The console's one template: a tagged template literal whose interpolations are escaped unless
 * they are Html already, so page code cannot forget to escape a value from a service.
 */
export function html(strings: TemplateStringsArray, ...parts: readonly Part[]): Html {
  let out = strings[0] ?? '';
  for (const [i, part] of parts.entries()) out += render(part) + (strings[i + 1] ?? '');
  return new Html(out);
}

/** Trusted markup, e.g. an SVG this process laid out itself. */
export const raw = (text: string): Html => new Html(text);

/** JSON for a `<script type="application/json">` block: `<` escaped so it cannot close the tag. */
export const jsonScript = (id: string, value: unknown): Html =>
  raw(
    `<script type="application/json" id="${escapeHtml(id)}">${JSON.stringify(value).replaceAll('<', '\\u003c')}</script>`,
  );
