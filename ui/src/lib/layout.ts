// Lays out overlapping calendar items side by side in lanes.
export interface Span { start: number; end: number }
export interface Placed<T> { item: T; lane: number; lanes: number }

export function layoutLanes<T>(items: T[], span: (t: T) => Span): Placed<T>[] {
  const sorted = items
    .map((item) => ({ item, ...span(item) }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Placed<T>[] = [];
  let cluster: Placed<T>[] = [];
  let laneEnds: number[] = [];
  let clusterEnd = -Infinity;
  const flush = () => {
    for (const p of cluster) p.lanes = laneEnds.length;
    out.push(...cluster);
    cluster = [];
    laneEnds = [];
  };
  for (const s of sorted) {
    const end = Math.max(s.end, s.start + 1);
    if (s.start >= clusterEnd) {
      flush();
      clusterEnd = -Infinity;
    }
    let lane = laneEnds.findIndex((e) => e <= s.start);
    if (lane === -1) {
      lane = laneEnds.length;
      laneEnds.push(end);
    } else {
      laneEnds[lane] = end;
    }
    clusterEnd = Math.max(clusterEnd, end);
    cluster.push({ item: s.item, lane, lanes: 1 });
  }
  flush();
  return out;
}
