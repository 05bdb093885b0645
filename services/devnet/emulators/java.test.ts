import { EmulatorStartError } from './errors.js';
import { parseJavaMajor, requireJava } from './java.js';

describe('Java detection for DynamoDB Local', () => {
  it('reads the major version of modern and legacy version strings', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('java version "1.8.0_392"')).toBe(8);
    expect(parseJavaMajor('no version here')).toBeUndefined();
  });

  it('without java on PATH, fails with a message that says how to install it', () => {
    const withoutJava = { ...process.env, PATH: '/nonexistent' };
    expect(() => requireJava(withoutJava)).toThrow(EmulatorStartError);
    expect(() => requireJava(withoutJava)).toThrow(/apt-get install -y openjdk-17-jre-headless/);
  });
});
