import fc from 'fast-check';
import { firstDuplicateMember } from './duplicate-members.js';

describe('firstDuplicateMember', () => {
  it.each([
    ['{"a":1,"a":2}', 'a'],
    ['{"sub":"alice","iss":"x","sub":"bob"}', 'sub'],
    ['{"o":{"k":1,"k":2}}', 'k'],
    ['[{"x":{"y":[{"z":1,"z":1}]}}]', 'z'],
    // Names are compared as JSON.parse reads them.
    ['{"\\u0061":1,"a":2}', 'a'],
    ['{ "a" : 1 ,\n "a" : 2 }', 'a'],
    ['{"":1,"":2}', ''],
  ])('finds the duplicate in %s', (json, name) => {
    expect(firstDuplicateMember(json)).toBe(name);
  });

  it.each([
    ['{}'],
    ['[]'],
    ['"a"'],
    ['{"a":{"a":1},"b":{"a":2}}'],
    ['{"a":[{"b":1},{"b":2}]}'],
    ['["a","a",{"a":"a"}]'],
    ['{"x":"\\"a\\":1,\\"a\\":2","a":"{\\"a\\""}'],
    ['{"a\\\\":1,"a":2}'],
    ['{"a":"b","b":"a"}'],
  ])('finds none in %s', (json) => {
    expect(firstDuplicateMember(json)).toBeNull();
  });

  // JSON.stringify can only write distinct names; writing one of them again must be found, wherever it sits.
  const jsonObject = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 6 });

  it('finds none in any JSON JSON.stringify writes', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => expect(firstDuplicateMember(JSON.stringify(value))).toBeNull()));
  });

  it('finds a member written twice at any depth', () => {
    fc.assert(
      fc.property(jsonObject, fc.nat(), fc.jsonValue({ maxDepth: 2 }), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), (object, pick, value, nesting) => {
        const names = Object.keys(object);
        const name = names[pick % names.length]!;
        const inner = `${JSON.stringify(object).slice(0, -1)},${JSON.stringify(name)}:${JSON.stringify(value)}}`;
        const json = nesting.reduce((text, outer) => `{${JSON.stringify(outer)}:[${text}]}`, inner);
        expect(firstDuplicateMember(json)).toBe(name);
      }),
    );
  });
});
