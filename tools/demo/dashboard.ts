// The demo's dashboard (`sluice dashboard` in-process): on port 8080, or a free port when 8080 is
// taken, read-only, on 127.0.0.1. main.ts prints its URL before the demo starts; after the demo it
// keeps serving until Ctrl-C only when run on a terminal, so `npm start` in a script or a test still
// ends by itself.
import net from 'node:net';
import { Admin } from '../../src/admin/admin.js';
import { type Dashboard, startDashboard } from '../../src/dashboard/server.js';

export const DASHBOARD_PORT = 8080;

export interface DemoDashboard {
  url: string;
  close(): Promise<void>;
}

export async function startDemoDashboard(brokers: string[], preferredPort = DASHBOARD_PORT): Promise<DemoDashboard> {
  const admin = new Admin({ brokers, clientId: 'sluice-demo-dashboard' });
  let dashboard: Dashboard;
  try {
    const port = (await portFree(preferredPort)) ? preferredPort : 0;
    dashboard = await startDashboard({ admin, port, intervalMs: 1000, window: 5 });
  } catch (err) {
    admin.close();
    throw err;
  }
  return {
    url: dashboard.url,
    async close() {
      await dashboard.close();
      admin.close();
    },
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
