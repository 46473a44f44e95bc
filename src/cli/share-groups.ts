// `sluice groups describe` for a share group (KIP-932): members with their assignments (a partition
// may be assigned to several members), and per partition the share-partition start offset, the end
// offset and the lag.
import type { Admin } from '../admin/admin.js';

export async function describeShareGroup(admin: Admin, group: string, json: boolean): Promise<number> {
  const [[desc], lag] = await Promise.all([admin.describeShareGroups([group]), admin.shareGroupLag(group)]);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...desc, lag })}\n`);
    return 0;
  }
  const d = desc!;
  let out = `group ${d.groupId}: ${d.state}, share${d.assignor ? `, assignor ${d.assignor}` : ''}, coordinator ${d.coordinator}, ${d.members.length} members\n`;
  const owners = new Map<string, string[]>();
  for (const m of d.members) {
    out += `  member ${m.memberId} (${m.clientId}@${m.clientHost}): ${m.assignment.map((p) => `${p.topic}[${p.partition}]`).join(' ') || 'nothing'}\n`;
    for (const p of m.assignment) {
      const k = `${p.topic}\0${p.partition}`;
      owners.set(k, [...(owners.get(k) ?? []), m.clientId]);
    }
  }
  out += 'TOPIC\tPARTITION\tSTART\tEND\tLAG\tMEMBERS\n';
  for (const p of lag.partitions) {
    const o = owners.get(`${p.topic}\0${p.partition}`);
    out += `${p.topic}\t${p.partition}\t${p.startOffset ?? '-'}\t${p.logEndOffset}\t${p.lag ?? '-'}\t${o ? o.join(',') : '-'}\n`;
  }
  out += `total lag ${lag.totalLag}\n`;
  process.stdout.write(out);
  return 0;
}
