// scripts/kubectl-alertincident prints text from alerts and the model (the report, a step's arguments) to a
// terminal: escape sequences and control characters in it must not reach the terminal (no recoloured,
// hidden or rewritten lines, no terminal title or clipboard writes), newlines and tabs must.
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PLUGIN = path.join(process.cwd(), 'scripts', 'kubectl-alertincident');

// What a hostile alert or model can put into the report: CSI colour and cursor moves, an OSC title and an
// OSC 52 clipboard write, a bare ESC, CR (rewrites the line), BEL, backspace, DEL, C1 controls (U+0080-U+009F).
const HOSTILE =
  '# Report\n\tindented\n' +
  '\u001b[31mred\u001b[0m \u001b[2J\u001b[1;1Hcleared \u001b]0;pwned\u0007title \u001b]52;c;Y3VybCBldmlsfHNo\u001b\\clip ' +
  'fake\rreal \u0007bell \bback \u007fdel \u009b31mc1csi \u0085nel \u001bcRIS end ümlaut 日本';

function fakeKubectl(dir: string, report: string, args = '{}'): void {
  // Answers the plugin's jsonpath reads; the strings are stored in files, printed byte for byte.
  writeFileSync(path.join(dir, 'report'), report);
  writeFileSync(path.join(dir, 'args'), args);
  const script = `#!/usr/bin/env bash
case "$*" in
  *'{.status.report}'*) cat "${dir}/report" ;;
  *'{.status.phase}'*) printf AwaitingApproval ;;
  *'{.status.steps[-1:].index}'*) printf 3 ;;
  *'{.status.steps[-1:].state}'*) printf AwaitingApproval ;;
  *'{.status.steps[-1:].server}'*) printf kubernetes ;;
  *'{.status.steps[-1:].tool}'*) printf scale ;;
  *'{.status.steps[-1:].arguments}'*) cat "${dir}/args" ;;
  *) true ;;
esac
`;
  writeFileSync(path.join(dir, 'kubectl'), script);
  chmodSync(path.join(dir, 'kubectl'), 0o755);
}

describe('kubectl alertincident', () => {
  it('report strips C0/C1 control characters and ANSI escape sequences, keeping newlines, tabs and text', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-ai-'));
    fakeKubectl(dir, HOSTILE);
    const { stdout } = await run('bash', [PLUGIN, 'report', 'inc-1'], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(stdout).toBe('# Report\n\tindented\nred cleared title clip fakereal bell back del 31mc1csi nel RIS end ümlaut 日本\n');
  });

  it('approve shows the step arguments the same way', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-ai-'));
    fakeKubectl(dir, '', '{"name":"web\u001b[8mhidden\u001b[0m","replicas":3}');
    const { stdout } = await run('bash', [PLUGIN, 'approve', 'inc-1'], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(stdout).toContain('step 3: kubernetes__scale {"name":"webhidden","replicas":3}\n');
    expect(stdout).not.toContain('\u001b');
  });

  // Learning from people: what the plugin writes is exactly the annotations the operator reads.
  async function annotations(args: string[]): Promise<{ stdout: string; calls: string[] }> {
    const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-ai-'));
    fakeKubectl(dir, '');
    // Logs every annotate (one argument a line) and answers whoami.
    const script = `#!/usr/bin/env bash
case "$*" in
  *'auth whoami'*) printf alice ;;
  *annotate*) printf '%s\\n' "$@" >> "${dir}/annotate" ;;
  *) exec "${dir}/kubectl.base" "$@" ;;
esac
`;
    writeFileSync(path.join(dir, 'kubectl.base'), readFileSync(path.join(dir, 'kubectl')));
    chmodSync(path.join(dir, 'kubectl.base'), 0o755);
    writeFileSync(path.join(dir, 'kubectl'), script);
    const { stdout } = await run('bash', [PLUGIN, ...args], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    return { stdout, calls: readFileSync(path.join(dir, 'annotate'), 'utf8').split('\n').filter((l) => l.startsWith('alertagent.io/')) };
  }

  it('reject --reason writes the reason with the rejection and who rejected', async () => {
    const r = await annotations(['reject', 'inc-1', '--reason', 'scaling to 0 takes the shop down', '-n', 'shop']);
    expect(r.calls).toEqual(['alertagent.io/reject-reason=scaling to 0 takes the shop down', 'alertagent.io/reject=3', 'alertagent.io/rejected-by=alice']);
    expect(r.stdout).toContain('step 3 rejected by alice: scaling to 0 takes the shop down');
  });

  it('feedback sets the verdict, who gave it and the actual cause; correct drops an earlier cause; fixed-by notes the fix', async () => {
    expect((await annotations(['feedback', 'inc-1', 'wrong', '--cause=the database was down'])).calls).toEqual(['alertagent.io/feedback=wrong', 'alertagent.io/feedback-by=alice', 'alertagent.io/actual-cause=the database was down']);
    expect((await annotations(['feedback', 'inc-1', 'correct'])).calls).toEqual(['alertagent.io/feedback=correct', 'alertagent.io/feedback-by=alice', 'alertagent.io/actual-cause-']);
    expect((await annotations(['fixed-by', 'inc-1', 'restarted the database'])).calls).toEqual(['alertagent.io/fixed-by=restarted the database']);
    await expect(run('bash', [PLUGIN, 'feedback', 'inc-1', 'maybe'])).rejects.toMatchObject({ stderr: expect.stringContaining('say correct or wrong') });
  });

  it('pull-request asks for the pull request of a step with a change proposed in Git, keeping steps asked before', async () => {
    // The fake answers every other read with nothing: no step has a change in Git.
    await expect(annotations(['pull-request', 'inc-1', '7'])).rejects.toMatchObject({ stderr: expect.stringContaining('step 7 of inc-1 has no change proposed in Git') });
    const dir = mkdtempSync(path.join(tmpdir(), 'kubectl-ai-'));
    writeFileSync(
      path.join(dir, 'kubectl'),
      `#!/usr/bin/env bash
case "$*" in
  *annotate*) printf '%s\\n' "$@" >> "${dir}/annotate" ;;
  *'dryRun.gitChange'*) printf '{"changes":[]}' ;;
  *'open-pull-request'*) printf 4 ;;
esac
`,
    );
    chmodSync(path.join(dir, 'kubectl'), 0o755);
    const { stdout } = await run('bash', [PLUGIN, 'pull-request', 'inc-1', '7'], { env: { ...process.env, PATH: `${dir}:${process.env.PATH}` } });
    expect(readFileSync(path.join(dir, 'annotate'), 'utf8')).toContain('alertagent.io/open-pull-request=4,7\n');
    expect(stdout).toContain('pull request asked for step 7');
  });
});
