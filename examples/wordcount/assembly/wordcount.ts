// Word count: `split` turns a line into [word, 1] pairs, `sum` adds up counts. Word rule: ../README.md.
export { grid_abi_1, grid_alloc } from "edge-grid/kit";
import { input, inputString, emitInt, output } from "edge-grid/kit";

const WORDS = 0; // output port "out": [word, 1] per word
const TOTAL = 1; // output port "total": ["words", words in this line] per line

function isWordChar(c: i32): bool {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == 39; // a-z, A-Z, '
}

/** Input: one line (a string). */
export function split(ptr: usize, len: usize): void {
  let line = inputString(ptr, len);
  let n = line.length;
  let words = 0;
  let i = 0;
  while (i < n) {
    while (i < n && !isWordChar(line.charCodeAt(i))) i++;
    let start = i;
    while (i < n && isWordChar(line.charCodeAt(i))) i++;
    let end = i;
    // Apostrophes at either end are quotes, not part of the word ('tis → tis, dogs' → dogs).
    while (start < end && line.charCodeAt(start) == 39) start++;
    while (end > start && line.charCodeAt(end - 1) == 39) end--;
    if (start == end) continue;
    output().array(2).string(line.substring(start, end).toLowerCase()).int(1).emit(WORDS);
    words++;
  }
  output().array(2).string("words").int(words).emit(TOTAL);
}

/** Aggregate combine: input an array of counts, output their sum. */
export function sum(ptr: usize, len: usize): void {
  let counts = input(ptr, len).asArray();
  let total: i64 = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i].asInt();
  emitInt(0, total);
}
