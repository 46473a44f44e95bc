// Whether a group id names a share group (KIP-932): share groups have their own admin calls, so the
// group commands ask the cluster first (ListGroups with the type filter; older brokers have none).
import type { Admin } from '../admin/admin.js';

export async function isShareGroup(admin: Admin, groupId: string, signal?: AbortSignal): Promise<boolean> {
  const listed = await admin.listGroups({ types: ['share'], ...(signal ? { signal } : {}) });
  return listed.some((g) => g.groupId === groupId && g.type === 'share');
}

/** Share group ids among `ids` (one ListGroups round for all). */
export async function shareGroupIds(admin: Admin, signal?: AbortSignal): Promise<Set<string>> {
  const listed = await admin.listGroups({ types: ['share'], ...(signal ? { signal } : {}) });
  return new Set(listed.filter((g) => g.type === 'share').map((g) => g.groupId));
}
