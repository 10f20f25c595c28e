// An acknowledged write survives `kill -9` of the MongoDB-wire server. The server is a private
// mongo-java-server with the file-backed H2 backend (started by `startPrivateServer` with
// scripts/servers/servers.sh, as the chaos suite runs it); the shared server is not touched.
import { createMongoStore } from '@flywheel/store/mongo';
import { type PrivateServer, startPrivateServer } from '@flywheel/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const total = 300;

describe('MongoDB-wire server (H2 backend) keeps acknowledged writes across kill -9 (private server)', () => {
  let mongo: PrivateServer;

  beforeAll(async () => {
    mongo = await startPrivateServer('mongo', { env: { FLYWHEEL_MONGO_BACKEND: 'h2' } });
  }, 150_000);

  afterAll(async () => {
    await mongo?.clean();
  }, 120_000);

  it('reads every acknowledged document after the server was SIGKILLed and restarted', {
    timeout: 240_000,
  }, async () => {
    const url = mongo.env.FLYWHEEL_MONGO_URL!;
    const writer = createMongoStore({ url, database: 'survives-kill' });
    const docs = writer.collection<{ n: number }>('docs');
    for (let n = 0; n < total; n++) await docs.put(`doc-${n}`, { n }); // resolves on the server's ack
    // Right after the last ack: no shutdown hook, no chance to flush anything.
    await mongo.kill();
    await writer.close().catch(() => undefined);
    await mongo.start();

    const reader = createMongoStore({ url, database: 'survives-kill' });
    try {
      const found = await reader
        .collection<{ n: number }>('docs')
        .find({}, { limit: total + 1, timeoutMs: 30_000 });
      const missing = Array.from({ length: total }, (_, n) => `doc-${n}`).filter(
        (id) => !found.some((doc) => doc.id === id),
      );
      expect(missing).toEqual([]);
      expect(found).toHaveLength(total);
    } finally {
      await reader.close();
    }
  });
});
