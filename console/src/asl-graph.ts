import ELK, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';

interface AslState {
  Type: string;
  Next?: string;
  Default?: string;
  End?: boolean;
  Choices?: { Next: string }[];
  Catch?: { Next: string }[];
  ItemProcessor?: { StartAt: string; States: Record<string, AslState> };
  Iterator?: { StartAt: string; States: Record<string, AslState> };
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
}

export interface LaidOutNode {
  id: string;
  type: string;
  x: number;
  y: number;
  width: number;
  height: number;
  container: boolean;
}

export interface LaidOutEdge {
  id: string;
  points: { x: number; y: number }[];
  caught: boolean;
}

export interface LaidOutGraph {
  width: number;
  height: number;
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
}

const NODE_HEIGHT = 34;
const widthOf = (name: string) => Math.max(110, name.length * 7 + 24);

/** States become nodes (a Map state holds its item processor's states), transitions edges; ELK lays them out. */
function toElk(states: Record<string, AslState>, edges: ElkExtendedEdge[]): ElkNode[] {
  return Object.entries(states).map(([name, state]) => {
    const targets = [
      ...[state.Next, state.Default, ...(state.Choices ?? []).map((choice) => choice.Next)]
        .filter((target): target is string => Boolean(target))
        .map((target) => ({ target, caught: false })),
      ...(state.Catch ?? []).map((handler) => ({ target: handler.Next, caught: true })),
    ];
    for (const [index, { target, caught }] of targets.entries()) {
      if (!edges.some((edge) => edge.sources[0] === name && edge.targets[0] === target))
        edges.push({ id: `${name}->${target}#${index}${caught ? '#catch' : ''}`, sources: [name], targets: [target] });
    }
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) {
      return {
        id: name,
        labels: [{ text: state.Type }],
        children: toElk(inner.States, edges),
        layoutOptions: { 'elk.padding': '[top=28,left=12,bottom=12,right=12]' },
      };
    }
    return { id: name, width: widthOf(name), height: NODE_HEIGHT, labels: [{ text: state.Type }] };
  });
}

export async function layoutAsl(definition: AslDefinition): Promise<LaidOutGraph> {
  const edges: ElkExtendedEdge[] = [];
  const children = toElk(definition.States, edges);
  const elk = new ELK();
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.layered.spacing.nodeNodeBetweenLayers': '28',
      'elk.spacing.nodeNode': '18',
      'elk.edgeRouting': 'ORTHOGONAL',
    },
    children,
    edges,
  };
  const laid = await elk.layout(graph);
  const nodes: LaidOutNode[] = [];
  const visit = (node: ElkNode, offsetX: number, offsetY: number) => {
    for (const child of node.children ?? []) {
      const x = offsetX + (child.x ?? 0);
      const y = offsetY + (child.y ?? 0);
      nodes.push({
        id: child.id,
        type: child.labels?.[0]?.text ?? '',
        x,
        y,
        width: child.width ?? 0,
        height: child.height ?? 0,
        container: (child.children?.length ?? 0) > 0,
      });
      visit(child, x, y);
    }
  };
  visit(laid, 0, 0);
  // With INCLUDE_CHILDREN, ELK gives each edge's sections relative to its container; find it by id.
  const containerOffset = new Map<string, { x: number; y: number }>([['root', { x: 0, y: 0 }]]);
  for (const node of nodes) if (node.container) containerOffset.set(node.id, { x: node.x, y: node.y });
  const laidEdges: LaidOutEdge[] = [];
  const collect = (node: ElkNode) => {
    for (const edge of node.edges ?? []) {
      const offset = containerOffset.get((edge as ElkExtendedEdge & { container?: string }).container ?? node.id) ?? {
        x: 0,
        y: 0,
      };
      for (const section of edge.sections ?? []) {
        laidEdges.push({
          id: edge.id,
          caught: edge.id.endsWith('#catch'),
          points: [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map((point) => ({
            x: point.x + offset.x,
            y: point.y + offset.y,
          })),
        });
      }
    }
    for (const child of node.children ?? []) collect(child);
  };
  collect(laid);
  return { width: laid.width ?? 0, height: laid.height ?? 0, nodes, edges: laidEdges };
}
