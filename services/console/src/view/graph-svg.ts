import dagre, { type Edge, type Point } from '@dagrejs/dagre';
import { escapeHtml, type Html, raw } from './html.ts';

export interface GraphNode {
  id: string;
  /** First line, bold. */
  label: string;
  /** Second line, e.g. a state and a duration. */
  detail?: string;
  /** Colours the node by the CSS of `[data-state]`. */
  state?: string;
  href?: string;
}

export interface GraphEdge {
  from: string;
  to: string;
}

const nodeWidth = 180;
/** Characters of a detail line that fit the node; longer ids are cut with an ellipsis (the full text is the tooltip). */
const detailChars = 26;
const fit = (text: string): string =>
  text.length > detailChars ? `${text.slice(0, detailChars - 1)}…` : text;
const nodeHeight = 52;

/**
 * Lays a directed graph out with dagre (left to right) here on the server and draws it as inline
 * SVG: the page needs no script to show a pipeline DAG or a lineage graph.
 */
export function graphSvg(nodes: readonly GraphNode[], edges: readonly GraphEdge[], testId: string): Html {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 24, ranksep: 48, marginx: 16, marginy: 28 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) g.setNode(node.id, { width: nodeWidth, height: nodeHeight });
  for (const edge of edges) if (g.hasNode(edge.from) && g.hasNode(edge.to)) g.setEdge(edge.from, edge.to);
  dagre.layout(g);
  const { width = 0, height = 0 } = g.graph();
  const paths = g.edges().map((e: Edge) => {
    const points: readonly Point[] = g.edge(e).points ?? [];
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    return `<path class="edge" d="${d}" marker-end="url(#arrow)"/>`;
  });
  const boxes = nodes.map((node) => {
    const { x, y } = g.node(node.id);
    const left = x - nodeWidth / 2;
    const top = y - nodeHeight / 2;
    const box = `<g class="node" data-node="${escapeHtml(node.id)}" data-state="${escapeHtml(node.state ?? '')}">
<rect x="${left}" y="${top}" width="${nodeWidth}" height="${nodeHeight}" rx="6"/>
<text x="${x}" y="${top + 21}" class="label">${escapeHtml(node.label)}</text>
<text x="${x}" y="${top + 39}" class="detail">${escapeHtml(fit(node.detail ?? ''))}</text><title>${escapeHtml(`${node.label}\n${node.detail ?? ''}`)}</title></g>`;
    return node.href ? `<a href="${escapeHtml(node.href)}">${box}</a>` : box;
  });
  return raw(`<svg class="graph" data-testid="${escapeHtml(testId)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>
${paths.join('\n')}
${boxes.join('\n')}
</svg>`);
}
