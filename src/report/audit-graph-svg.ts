// Draws the reachability graph as SVG: a deterministic grid layout of namespace boxes with workloads inside.

import { EXTERNAL_NODE_ID, type GraphNode, type ReachGraph } from '../core/audit/graph.js';
import { escapeMarkup } from './markup.js';

const NODE_W = 168;
const NODE_H = 38;
const GAP = 22;
const PAD = 18;
const HEADER = 28;
const BOX_GAP = 46;
const MAX_ROW_WIDTH = 1180;

interface Box {
  readonly label: string;
  readonly outside: boolean;
  readonly nodes: readonly GraphNode[];
  readonly cols: number;
  readonly width: number;
  readonly height: number;
  x: number;
  y: number;
}

interface Placed {
  readonly node: GraphNode;
  readonly x: number;
  readonly y: number;
}

/**
 * Namespace boxes in name order fill rows left to right (a box of nodes outside the cluster comes first); inside
 * a box, workloads fill a near-square grid in name order. Edges are straight arrows between node borders (bent a
 * little within a box), red where they come from outside; exposed workloads are red.
 */
export function renderGraphSvg(graph: ReachGraph): string {
  const nodeById = new Map(graph.nodes.map((n) => [n.id, n]));
  const boxes: Box[] = [];
  const outside = graph.nodes.filter((n) => n.namespace === '');
  if (outside.length > 0) boxes.push(makeBox('outside the cluster', true, outside));
  for (const ns of graph.namespaces)
    boxes.push(
      makeBox(
        ns.name,
        false,
        ns.nodes.map((id) => nodeById.get(id)!).filter((n) => n !== undefined),
      ),
    );

  // Rows of boxes, wrapped at MAX_ROW_WIDTH.
  let x = BOX_GAP / 2;
  let y = BOX_GAP / 2;
  let rowHeight = 0;
  for (const box of boxes) {
    if (x > BOX_GAP / 2 && x + box.width > MAX_ROW_WIDTH) {
      x = BOX_GAP / 2;
      y += rowHeight + BOX_GAP;
      rowHeight = 0;
    }
    box.x = x;
    box.y = y;
    x += box.width + BOX_GAP;
    rowHeight = Math.max(rowHeight, box.height);
  }
  const width = Math.max(320, ...boxes.map((b) => b.x + b.width + BOX_GAP / 2));
  const height = Math.max(120, y + rowHeight + BOX_GAP / 2);

  const placed = new Map<string, Placed & { box: Box }>();
  for (const box of boxes)
    box.nodes.forEach((node, i) => {
      const col = i % box.cols;
      const row = Math.floor(i / box.cols);
      placed.set(node.id, {
        node,
        box,
        x: box.x + PAD + col * (NODE_W + GAP),
        y: box.y + HEADER + PAD + row * (NODE_H + GAP),
      });
    });

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" id="reach-graph" role="img" aria-label="Reachability graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
    '<defs>',
    '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#7a8699"/></marker>',
    '<marker id="arrow-out" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#c62828"/></marker>',
    '</defs>',
  );
  for (const box of boxes)
    parts.push(
      `<g class="namespace${box.outside ? ' outside' : ''}" data-namespace="${escapeMarkup(box.outside ? '' : box.label)}">` +
        `<rect x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="10" fill="${box.outside ? '#fff7f7' : '#f4f6fa'}" stroke="${box.outside ? '#c62828' : '#9aa5b8'}"${box.outside ? ' stroke-dasharray="6 4"' : ''}/>` +
        `<text x="${box.x + 12}" y="${box.y + 19}" class="namespace-label" font-size="13" font-weight="600" fill="#33415c">${escapeMarkup(box.outside ? box.label : `namespace ${box.label}`)}</text></g>`,
    );
  parts.push('<g class="edges">');
  for (const edge of graph.edges) {
    const a = placed.get(edge.src);
    const b = placed.get(edge.dst);
    if (a === undefined || b === undefined) continue;
    const fromOutside = a.node.namespace === '';
    const [x1, y1] = border(a, b);
    const [x2, y2] = border(b, a);
    // Within a box, bend the edge so that it does not run along a row of nodes.
    const bend = a.box === b.box ? 0.25 : 0.08;
    const mx = (x1 + x2) / 2 - (y2 - y1) * bend;
    const my = (y1 + y2) / 2 + (x2 - x1) * bend;
    parts.push(
      `<path class="edge${fromOutside ? ' from-outside' : ''}" data-src="${escapeMarkup(edge.src)}" data-dst="${escapeMarkup(edge.dst)}" d="M${r(x1)},${r(y1)} Q${r(mx)},${r(my)} ${r(x2)},${r(y2)}" fill="none" stroke="${fromOutside ? '#c62828' : '#7a8699'}" stroke-opacity="${fromOutside ? 0.9 : 0.55}" stroke-width="${fromOutside ? 1.8 : 1.2}" marker-end="url(#${fromOutside ? 'arrow-out' : 'arrow'})"><title>${escapeMarkup(`${edge.src} → ${edge.dst}: ${edge.conn}`)}</title></path>`,
    );
  }
  parts.push('</g>', '<g class="nodes">');
  for (const p of placed.values()) {
    const exposed = p.node.exposedBy.length > 0;
    const outsideNode = p.node.namespace === '';
    const fill = exposed ? '#fde2e2' : outsideNode ? '#ffffff' : '#ffffff';
    const stroke = exposed || outsideNode ? '#c62828' : '#3b5b92';
    const title = exposed ? `${p.node.id}\nexposed: ${p.node.exposedBy.join('; ')}` : p.node.id;
    parts.push(
      `<g class="node${exposed ? ' exposed' : ''}${outsideNode ? ' external' : ''}" data-id="${escapeMarkup(p.node.id)}" data-exposed="${exposed}">` +
        `<title>${escapeMarkup(title)}</title>` +
        `<rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="${outsideNode ? 19 : 6}" fill="${fill}" stroke="${stroke}" stroke-width="${exposed ? 2.5 : 1.3}"/>` +
        `<text x="${p.x + 10}" y="${p.y + 16}" font-size="12" font-weight="600" fill="${exposed ? '#8e1b1b' : '#1d2b44'}">${escapeMarkup(truncate(p.node.name, 21))}${exposed ? ' ⚠' : ''}</text>` +
        `<text x="${p.x + 10}" y="${p.y + 30}" font-size="10" fill="#5b6b82">${escapeMarkup(outsideNode && p.node.id === EXTERNAL_NODE_ID ? 'any address outside the cluster' : p.node.kind)}</text></g>`,
    );
  }
  parts.push('</g>', '</svg>');
  return parts.join('\n');
}

function makeBox(label: string, outside: boolean, nodes: readonly GraphNode[]): Box {
  const n = Math.max(1, nodes.length);
  const cols = Math.min(n, Math.max(1, Math.ceil(Math.sqrt(n * 1.6))));
  const rows = Math.ceil(n / cols);
  const width = Math.max(PAD * 2 + cols * NODE_W + (cols - 1) * GAP, label.length * 8 + 110);
  const height = HEADER + PAD * 2 + rows * NODE_H + (rows - 1) * GAP;
  return { label, outside, nodes, cols, width, height, x: 0, y: 0 };
}

/** Where the line from the centre of `from` towards the centre of `to` leaves `from`'s rectangle. */
function border(from: Placed, to: Placed): [number, number] {
  const cx = from.x + NODE_W / 2;
  const cy = from.y + NODE_H / 2;
  const dx = to.x + NODE_W / 2 - cx;
  const dy = to.y + NODE_H / 2 - cy;
  if (dx === 0 && dy === 0) return [cx, cy];
  const scale = Math.min(
    dx === 0 ? Infinity : NODE_W / 2 / Math.abs(dx),
    dy === 0 ? Infinity : NODE_H / 2 / Math.abs(dy),
  );
  return [cx + dx * scale, cy + dy * scale];
}

function r(n: number): string {
  return (Math.round(n * 10) / 10).toString();
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
