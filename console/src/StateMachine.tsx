import { useEffect, useState } from 'react';
import definition from '../../workflows/deployment.asl.json';
import { stepsOf, type Execution } from './api';
import { layoutAsl, type LaidOutGraph } from './asl-graph';

let layout: Promise<LaidOutGraph> | undefined;

/**
 * The deployment workflow drawn from its ASL (workflows/deployment.asl.json, the file Step
 * Functions runs), the states this execution entered marked and the current one highlighted,
 * with the execution's history beside it, as the Step Functions console shows it.
 */
export function StateMachine({ execution }: { execution: Execution | undefined }) {
  const [graph, setGraph] = useState<LaidOutGraph>();
  useEffect(() => {
    layout ??= layoutAsl(definition);
    void layout.then(setGraph);
  }, []);
  const steps = execution ? stepsOf(execution) : [];
  const visited = new Set(steps.map((step) => step.state));
  const current = execution?.status === 'RUNNING' ? steps.at(-1)?.state : undefined;
  const last = steps.at(-1)?.state;
  return (
    <div className="state-machine">
      <div className="graph" data-testid="state-machine">
        {graph ? (
          <svg
            width={graph.width}
            height={graph.height}
            viewBox={`0 0 ${graph.width} ${graph.height}`}
            role="img"
            aria-label="deployment state machine"
          >
            <defs>
              <marker
                id="arrow"
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerWidth="6"
                markerHeight="6"
                orient="auto-start-reverse"
              >
                <path d="M 0 0 L 10 5 L 0 10 z" fill="#8a94a6" />
              </marker>
            </defs>
            {graph.nodes
              .filter((node) => node.container)
              .map((node) => (
                <g key={node.id}>
                  <rect
                    x={node.x}
                    y={node.y}
                    width={node.width}
                    height={node.height}
                    rx={8}
                    className={`container ${visited.has(node.id) ? 'visited' : ''}`}
                  />
                  <text x={node.x + 10} y={node.y + 18} className="container-label">
                    {node.id} (Map)
                  </text>
                </g>
              ))}
            {graph.edges.map((edge, index) => (
              <polyline
                key={`${edge.id}-${String(index)}`}
                points={edge.points.map((point) => `${String(point.x)},${String(point.y)}`).join(' ')}
                className={edge.caught ? 'edge caught' : 'edge'}
                markerEnd="url(#arrow)"
              />
            ))}
            {graph.nodes
              .filter((node) => !node.container)
              .map((node) => {
                const state =
                  node.id === current ? 'current' : node.id === last ? 'last' : visited.has(node.id) ? 'visited' : '';
                return (
                  <g key={node.id} data-state={node.id} data-status={state || 'not-visited'}>
                    <rect
                      x={node.x}
                      y={node.y}
                      width={node.width}
                      height={node.height}
                      rx={node.type === 'Choice' ? 16 : 6}
                      className={`state ${node.type.toLowerCase()} ${state}`}
                    />
                    <text
                      x={node.x + node.width / 2}
                      y={node.y + node.height / 2 + 4}
                      textAnchor="middle"
                      className="state-label"
                    >
                      {node.id}
                    </text>
                  </g>
                );
              })}
          </svg>
        ) : (
          <p>Laying out the workflow…</p>
        )}
      </div>
      <div className="history">
        <h3>Execution {execution ? <span className={`pill ${execution.status}`}>{execution.status}</span> : null}</h3>
        {execution ? (
          <ol>
            {steps.map((step, index) => (
              <li
                key={`${step.state}-${String(index)}`}
                className={index === steps.length - 1 && execution.status === 'RUNNING' ? 'current' : ''}
              >
                <time>{new Date(step.enteredAt).toLocaleTimeString()}</time> {step.state}
              </li>
            ))}
          </ol>
        ) : (
          <p className="muted">No execution yet.</p>
        )}
      </div>
    </div>
  );
}
