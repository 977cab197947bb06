/** Graphviz DOT of an environment's graph, and its SVG through Graphviz compiled to WebAssembly (no system package). */
import { instance } from '@viz-js/viz';
import type { Category, DiagramGraph } from './graph';

const FILL: Readonly<Record<Category, string>> = {
  edge: '#e8f1fb',
  compute: '#fdf0e0',
  data: '#e6f4ea',
  messaging: '#f3e8fb',
  network: '#eeeeee',
  security: '#fbe9e9',
  observability: '#fffbe0',
};

const quote = (text: string) => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** Deterministic: the graph is sorted, and nothing here depends on time, paths or hashes. */
export function toDot(graph: DiagramGraph): string {
  const lines = [
    `digraph ${quote(`connect-${graph.environment}`)} {`,
    `  graph [label=${quote(`Connect ${graph.environment}: stacks and main resources, drawn from the synthesized templates (npm run diagram)`)}, labelloc=t, fontname="Helvetica", fontsize=16, rankdir=LR, nodesep=0.25, ranksep=0.9, newrank=true];`,
    '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
  ];
  for (const stack of graph.stacks) {
    lines.push(`  subgraph ${quote(`cluster_${stack}`)} {`, `    label=${quote(stack)}; style="rounded"; color="#888888"; fontname="Helvetica"; fontsize=12;`);
    for (const node of graph.nodes.filter((n) => n.stack === stack)) {
      lines.push(`    ${quote(node.id)} [label=${quote(`${node.kind}\n${node.name}`)}, fillcolor=${quote(FILL[node.category])}];`);
    }
    lines.push('  }');
  }
  for (const edge of graph.edges) lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)}${edge.label ? ` [label=${quote(edge.label)}]` : ''};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** Renders DOT to SVG with @viz-js/viz (a devDependency: only the diagram script and its test load it). */
export async function renderSvg(dot: string): Promise<string> {
  return (await instance()).renderString(dot, { format: 'svg', engine: 'dot' });
}
