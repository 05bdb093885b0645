/**
 * JSON.parse keeps the last of two members with the same name without a word (RFC 8259 leaves
 * duplicates to the reader), so a token whose payload says `"sub":"alice"` and then `"sub":"bob"`
 * means different things to different readers. RFC 7515 §5.2 lets a JWS reader refuse such input;
 * the guards do, finding duplicates with this scan of the text JSON.parse has already accepted.
 */

/** The first member name that appears twice in one object of `json` (names compared after unescaping), or null. */
export function firstDuplicateMember(json: string): string | null {
  // One entry per open container: the member names seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectingName = false;
  for (let index = 0; index < json.length; index += 1) {
    switch (json[index]) {
      case '{':
        open.push(new Set());
        expectingName = true;
        break;
      case '[':
        open.push(null);
        expectingName = false;
        break;
      case '}':
      case ']':
        open.pop();
        expectingName = false;
        break;
      case ',':
        expectingName = open[open.length - 1] instanceof Set;
        break;
      case ':':
        expectingName = false;
        break;
      case '"': {
        let end = index + 1;
        while (json[end] !== '"') end += json[end] === '\\' ? 2 : 1;
        const names = open[open.length - 1];
        if (expectingName && names) {
          const name = JSON.parse(json.slice(index, end + 1)) as string;
          if (names.has(name)) return name;
          names.add(name);
        }
        expectingName = false;
        index = end;
        break;
      }
    }
  }
  return null;
}
