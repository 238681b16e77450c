// The benchmark in a dedicated worker, so that long CPU cases (tfjs-cpu,
// mathjs) never freeze the page. Protocol: see bench-protocol.ts.
import { BenchRunner } from './bench-runner.js';
import type { FromWorker, ToWorker } from './bench-protocol.js';

const post = (message: FromWorker): void => (self as unknown as Worker).postMessage(message);
const describe = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

const runner = BenchRunner.create('worker');
runner.then(
  (r) => {
    post({ type: 'ready', info: r.info });
    void r.deviceLost.then((message) => post({ type: 'device-lost', message }));
  },
  (e: unknown) => post({ type: 'error', message: `could not start the benchmark: ${describe(e)}` }),
);

self.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type !== 'run') return;
  void (async () => {
    try {
      const report = await (await runner).run(message.params, (progress) => post({ type: 'progress', progress }));
      post({ type: 'done', report });
    } catch (e) {
      post({ type: 'error', message: describe(e) });
    }
  })();
});
