import { spawnSync } from 'node:child_process';
import { EmulatorStartError } from './errors.js';

const MINIMUM_JAVA_MAJOR = 17;
export const JAVA_INSTALL_HINT =
  'DynamoDB Local needs Java 17 or newer. On Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y openjdk-17-jre-headless` ' +
  '(or run `bash scripts/install-java.sh`), then try again.';

/** Parses the major version from `java -version` output ("17.0.15", or "1.8.0_x" for Java 8). */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

/** Fails with an actionable message unless a Java 17+ runtime is on the PATH of `env`. */
export function requireJava(env: NodeJS.ProcessEnv = process.env): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8', env });
  if (probe.error !== undefined) {
    throw new EmulatorStartError('dynamodb-local', `no \`java\` on PATH. ${JAVA_INSTALL_HINT}`, { cause: probe.error });
  }
  const major = parseJavaMajor(`${probe.stderr}${probe.stdout}`);
  if (major === undefined || major < MINIMUM_JAVA_MAJOR) {
    throw new EmulatorStartError(
      'dynamodb-local',
      `found Java ${major ?? 'of unknown version'}, need ${MINIMUM_JAVA_MAJOR}+. ${JAVA_INSTALL_HINT}`,
    );
  }
}
