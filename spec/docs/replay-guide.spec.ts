import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { CodexClient } from 'codex-rx';
import { toSteps } from 'codex-rx/operators';
import { ReplayTransport, replayFrames, startRecording, type Recording } from 'codex-rx/testing';
import { startOfflineCodex } from 'codex-rx/testing/node';

jest.setTimeout(30_000);
const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'recording-')), 'approval-turn.json');

// ---- once: record a real session to a file (here against the offline real server) ------------

beforeAll(async () => {
  const codex = await startOfflineCodex({ approvalPolicy: 'on-request' });
  try {
    const client = codex.client();
    const recorder = startRecording(client); // before the handshake: replay needs it
    client.setApprovalHandler(() => 'accept');
    await client.chatOnce('RUN echo hello', { threadConfig: { cwd: codex.workspace } });
    fs.writeFileSync(file, JSON.stringify(recorder.stop(), null, 2)); // secrets already scrubbed
  } finally {
    await codex.dispose();
  }
});

const load = (): Recording => JSON.parse(fs.readFileSync(file, 'utf8'));

// ---- then, offline: replay it ----------------------------------------------------------------

it('replays the recorded frames through an operator, in virtual time (marbles)', () => {
  const recording = load();
  const end = Math.max(...recording.frames.filter((f) => f.dir === 'in').map((f) => f.atMs));
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(({ expectObservable }) => {
    // The server's frames, each at its recorded time (virtual: the test takes no time).
    const steps = replayFrames(recording).pipe(
      toSteps(),
      map((s) => s.stepType),
      toArray(),
    );
    expectObservable(steps).toBe(`${end}ms (a|)`, { a: ['userMessage', 'thinking', 'exec', 'codex'] });
  });
});

it('replays the whole session through a new client, with no server', async () => {
  const client = new CodexClient(new ReplayTransport(load()));
  client.setApprovalHandler(() => 'accept'); // asked again, at the recorded point
  try {
    const result = await client.chatOnce('RUN echo hello');
    expect(result.finalText).toBe('Command finished: hello');
  } finally {
    await client.close();
  }
});
