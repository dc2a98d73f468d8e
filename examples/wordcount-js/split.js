// Word count's split function in plain JavaScript (an ES module), run by edge-grid inside QuickJS.
// A word is a run of letters and apostrophes; apostrophes at either end are quotes ('tis → tis, dogs' → dogs).
// Input: one line (a string). Outputs: [word, 1] per word on port 0 (`out`), returned as an array;
// ["words", n] on port 1 (`total`), with emit(port, value).

const TOTAL = 1

export function split (line) {
  const words = []
  for (const match of line.matchAll(/[A-Za-z']+/g)) {
    const word = match[0].replace(/^'+|'+$/g, '')
    if (word !== '') words.push([word.toLowerCase(), 1])
  }
  emit(TOTAL, ['words', words.length])
  return words
}
