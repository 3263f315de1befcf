/**
 * The state panel: the lifecycle machine of the chosen kernel, session, KHO, VMM, pCPU, Caretaker
 * or vCPU, laid out in the page (states in columns by distance from the initial state), with the
 * state at the cursor highlighted.
 */
import { useStore } from 'zustand';
import type { LabStore } from '../../store/lab.ts';
import type { MachineGraph } from '../../sim/protocol.ts';
import { stateColor } from '../timeline/palette.ts';

interface Placed {
  name: string;
  col: number;
  row: number;
  final: boolean;
  description: string;
}

export function layoutMachine(m: MachineGraph): Placed[] {
  const depth = new Map<string, number>([[m.initial, 0]]);
  const queue = [m.initial];
  while (queue.length) {
    const s = queue.shift()!;
    for (const e of m.edges) {
      if (e.from === s && !depth.has(e.to)) {
        depth.set(e.to, depth.get(s)! + 1);
        queue.push(e.to);
      }
    }
  }
  const rows = new Map<number, number>();
  return m.states.map((s) => {
    const col = depth.get(s.name) ?? 0;
    const row = rows.get(col) ?? 0;
    rows.set(col, row + 1);
    return { name: s.name, col, row, final: s.final, description: s.description };
  });
}

const BW = 124;
const BH = 26;
const CX = 150;
const RY = 40;

export function StatePanel({ store }: { store: LabStore }) {
  const focus = useStore(store, (s) => s.focus);
  const cursor = useStore(store, (s) => s.cursor);
  const data = useStore(store, (s) => s.data);
  useStore(store, (s) => s.dataVersion);
  const machines = useStore(store, (s) => s.machines);
  const choices = data.entities.map((e, i) => ({ e, i })).filter((x) => x.e.machine);
  const ent = data.entities[focus];
  const m = machines.find((x) => x.id === ent?.machine);
  const current = ent ? data.stateAt(focus, cursor) : null;
  const placed = m ? layoutMachine(m) : [];
  const pos = new Map(placed.map((p) => [p.name, p]));
  const cols = Math.max(1, ...placed.map((p) => p.col + 1));
  const rows = Math.max(1, ...placed.map((p) => p.row + 1));
  const W = cols * CX + 10;
  const H = rows * RY + 30;
  const cur = placed.find((p) => p.name === current);
  return (
    <section className="panel" aria-labelledby="state-h" data-testid="state-panel">
      <h3 id="state-h">State machine</h3>
      <label>
        of{' '}
        <select value={focus} onChange={(e) => store.getState().select(store.getState().selection, Number(e.target.value))} aria-label="Entity whose machine is shown">
          {choices.map(({ e, i }) => (
            <option key={i} value={i}>
              {e.name} ({e.machine})
            </option>
          ))}
        </select>
      </label>
      <p className="state-now" data-testid="state-now">
        {ent ? `${ent.name} is ${current ?? 'not yet created'} at the cursor` : ''}
      </p>
      {m && (
        <svg className="machine" viewBox={`0 0 ${W} ${H}`} style={{ maxWidth: W }} role="img" aria-label={`${m.id} machine; current state ${current ?? 'none'}`}>
          <defs>
            <marker id="arr" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
              <path d="M 0 0 L 10 5 L 0 10 z" fill="#8a9099" />
            </marker>
          </defs>
          {m.edges.map((e, i) => {
            const a = pos.get(e.from);
            const b = pos.get(e.to);
            if (!a || !b) return null;
            const x1 = a.col * CX + 5 + BW;
            const y1 = a.row * RY + 10 + BH / 2;
            const x2 = b.col * CX + 5;
            const y2 = b.row * RY + 10 + BH / 2;
            const back = b.col <= a.col;
            const d = back
              ? `M ${a.col * CX + 5 + BW / 2} ${a.row * RY + 10 + BH} C ${a.col * CX + 5 + BW / 2} ${H - 2}, ${b.col * CX + 5 + BW / 2} ${H - 2}, ${b.col * CX + 5 + BW / 2} ${b.row * RY + 10 + BH}`
              : `M ${x1} ${y1} C ${x1 + 12} ${y1}, ${x2 - 12} ${y2}, ${x2} ${y2}`;
            return (
              <path key={i} d={d} fill="none" stroke="#b5bac0" strokeWidth={1} markerEnd="url(#arr)">
                <title>{`${e.from} --${e.event}--> ${e.to}`}</title>
              </path>
            );
          })}
          {placed.map((p) => {
            const on = p.name === current;
            return (
              <g key={p.name} transform={`translate(${p.col * CX + 5}, ${p.row * RY + 10})`} data-state={p.name} data-current={on ? 'true' : undefined}>
                <title>{p.description}</title>
                <rect width={BW} height={BH} rx={p.final ? 12 : 4} fill={on ? stateColor(m.id, p.name) : '#ffffff'} stroke={on ? '#1d2125' : '#b5bac0'} strokeWidth={on ? 2 : 1} />
                <text x={BW / 2} y={BH / 2 + 4} textAnchor="middle" fontSize="10" fontWeight={on ? 700 : 400} fill="#1d2125">
                  {p.name}
                </text>
              </g>
            );
          })}
        </svg>
      )}
      {cur && <p className="hint">{cur.description}</p>}
    </section>
  );
}
